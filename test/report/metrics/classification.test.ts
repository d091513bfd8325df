import { describe, expect, it } from 'vitest';
import { calibration } from '../../../src/report/metrics/calibration.ts';
import { classificationReport } from '../../../src/report/metrics/classification-report.ts';
import { evaluatePredictions, keyMetrics } from '../../../src/report/metrics/evaluate.ts';
import { oneVsRest, rocAuc, rocCurve } from '../../../src/report/metrics/roc.ts';

describe('classificationReport (sklearn classification_report, hand-computed)', () => {
  // known samples: y 0 0 1 1 2 2 1, pred 0 1 1 1 0 2 0 (sample 6 has label -1); class d never occurs
  const r = classificationReport([0, 1, 1, 1, 0, 2, 2, 0], [0, 0, 1, 1, 2, 2, -1, 1], ['a', 'b', 'c', 'd']);

  it('per class precision, recall, F1 and support', () => {
    expect(r.classes.a!.precision).toBeCloseTo(1 / 3, 12); // 1 of the 3 predicted a
    expect(r.classes.a!.recall).toBeCloseTo(1 / 2, 12);
    expect(r.classes.a!.f1).toBeCloseTo(0.4, 12);
    expect(r.classes.a!.support).toBe(2);
    expect(r.classes.b).toMatchObject({ support: 3 });
    expect(r.classes.b!.precision).toBeCloseTo(2 / 3, 12);
    expect(r.classes.b!.recall).toBeCloseTo(2 / 3, 12);
    expect(r.classes.c).toMatchObject({ precision: 1, recall: 0.5, support: 2 });
    expect(r.classes.c!.f1).toBeCloseTo(2 / 3, 12);
    expect(r.classes.d).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.accuracy).toBeCloseTo(4 / 7, 12);
  });

  it('macro and weighted averages over the classes present (d is left out)', () => {
    expect(r['macro avg'].precision).toBeCloseTo(2 / 3, 12);
    expect(r['macro avg'].recall).toBeCloseTo(5 / 9, 12);
    expect(r['macro avg'].f1).toBeCloseTo(26 / 45, 12);
    expect(r['macro avg'].support).toBe(7);
    expect(r['weighted avg'].precision).toBeCloseTo(2 / 3, 12);
    expect(r['weighted avg'].recall).toBeCloseTo(4 / 7, 12);
    expect(r['weighted avg'].f1).toBeCloseTo(62 / 105, 12);
  });

  it('a class predicted but never labelled has precision 0 and joins the averages', () => {
    const q = classificationReport([1, 1], [0, 0], ['x', 'y']);
    expect(q.classes.y).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(q['macro avg']).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
  });
});

describe('ROC (sklearn roc_curve / roc_auc_score)', () => {
  it('points at distinct thresholds from (0,0) and the trapezoid area', () => {
    const c = rocCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    expect(c.map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    expect(rocAuc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBe(0.75);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5); // a tie counts half
    expect(rocAuc([0.3, 0.2], [1, -1])).toBeNull(); // no negative known
  });

  it('equals the Mann–Whitney statistic (share of positive/negative pairs ordered right, ties ½)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const s = Array.from({ length: 60 }, () => Math.round(rand() * 20) / 20);
    const y = s.map((v) => (rand() < 0.3 + 0.5 * v ? 1 : 0));
    let u = 0;
    let pairs = 0;
    for (let i = 0; i < s.length; i++)
      for (let j = 0; j < s.length; j++)
        if (y[i] && !y[j]) (pairs++, (u += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0));
    expect(rocAuc(s, y)).toBeCloseTo(u / pairs, 12);
  });

  it('one-vs-rest over a softmax head: per class AP/AUC and their macro means', () => {
    // 4 samples × 3 classes; labels 0, 1, 2, 1
    const probs = [0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3];
    const o = oneVsRest(probs, [0, 1, 2, 1], 3);
    // class 0 scores 0.7 .3 .2 .1 vs 1 0 0 0: perfect
    expect(o.classes[0]).toMatchObject({ positives: 1, ap: 1, auc: 1 });
    // class 1 scores .2 .4 .5 .6 vs 0 1 0 1: AUC pairs (.4>.2, .4<.5, .6>.2, .6>.5) = 3/4; AP: cuts .6 (P 1, R .5), .5 (P .5), .4 (P 2/3, R 1) → .5 + .5·2/3
    expect(o.classes[1]!.auc).toBe(0.75);
    expect(o.classes[1]!.ap).toBeCloseTo(0.5 + (0.5 * 2) / 3, 12);
    // class 2 scores .1 .3 .3 .3 vs 0 0 1 0: the positive ties two negatives at .3 → (½ + ½ + 1) / 3
    expect(o.classes[2]!.auc).toBeCloseTo(2 / 3, 12);
    expect(o.macroAUC).toBeCloseTo((1 + 0.75 + 2 / 3) / 3, 12);
    expect(o.macroAP).toBeCloseTo((1 + 0.5 + 1 / 3 + 1 / 3) / 3, 12);
  });
});

describe('calibration (Guo et al. 2017 ECE)', () => {
  it('bins (lo, hi], weights each gap by its share of the samples', () => {
    const c = calibration([0.95, 0.9, 0.6, 0.55], [1, 0, 1, -1], 10);
    // bins: 0.95 → (0.9,1] right; 0.9 → (0.8,0.9] wrong; 0.6 → (0.5,0.6] right; 0.55 unknown
    expect(c.bins[9]).toMatchObject({ count: 1, accuracy: 1 });
    expect(c.bins[8]).toMatchObject({ count: 1, accuracy: 0 });
    expect(c.bins[5]).toMatchObject({ count: 1, accuracy: 1 });
    expect(c.bins.reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(c.ece).toBeCloseTo((0.05 + 0.9 + 0.4) / 3, 12);
    expect(c.mce).toBeCloseTo(0.9, 12);
    expect(calibration([0.5], [-1]).ece).toBeNull();
    expect(() => calibration([0.5], [1], 0)).toThrow('calibration bins must be a positive integer, received 0');
  });

  it('a perfectly calibrated head has ECE 0', () => {
    // 10 samples at confidence 0.8, 8 right
    expect(calibration(new Array(10).fill(0.8), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]).ece).toBeCloseTo(0, 12);
  });
});

describe('evaluatePredictions: the report for every head', () => {
  const heads = [
    { name: 'inverted', classes: ['no', 'yes'] },
    { name: 'flag', classes: ['flag'] },
  ];
  // 4 samples; labels rows: inverted, flag
  const input = {
    heads,
    probs: [new Float32Array([0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.7, 0.3]), new Float32Array([0.9, 0.2, 0.6, 0.4])],
    labels: new Int32Array([0, 1, 1, 0, 1, 1, 0, -1]),
    paths: ['a', 'b', 'c', 'd'],
  };
  const { metrics, curves } = evaluatePredictions(input, { calibrationBins: 10 });

  it('a 2-class softmax head gets one-vs-rest PR/ROC, a classification report and ECE', () => {
    const h = metrics.heads.inverted!;
    if (h.kind !== 'softmax') throw new Error('softmax expected');
    // "yes" scores .1 .6 .8 .3 vs labels 0 1 1 0: perfectly ranked
    expect(h.ovr.classes.yes).toEqual({ positives: 2, ap: 1, auc: 1 });
    expect(h.ovr.macroAUC).toBe(1);
    expect(h.report.classes.yes).toMatchObject({ precision: 1, recall: 1, support: 2 });
    expect(curves.inverted!.roc.length).toBe(2);
    // confidences .9 .6 .8 .7, all right → ECE = mean(1 − conf) = 0.25
    expect(h.calibration.ece).toBeCloseTo(0.25, 6);
  });

  it('a binary head gets AUC and a two-class report; key metrics carry f1/auc/ece', () => {
    const f = metrics.heads.flag!;
    if (f.kind !== 'sigmoid') throw new Error('sigmoid expected');
    // scores .9 .2 .6 vs 1 0 1 (sample 3 unknown)
    expect(f.auc).toBe(1);
    expect(Object.keys(f.report.classes)).toEqual(['not flag', 'flag']);
    expect(f.report.classes.flag).toMatchObject({ precision: 1, recall: 1, support: 2 });
    expect(keyMetrics(metrics)).toMatchObject({
      'acc/inverted': 1,
      'f1/inverted': 1,
      'auc/inverted': 1,
      'auc/flag': 1,
    });
    expect(keyMetrics(metrics)['ece/flag']).toBeCloseTo((0.1 + 0.2 + 0.4) / 3, 6);
  });
});
