import { describe, expect, it } from 'vitest';
import {
  classCounts,
  multilabelScores,
  thresholdPredictions,
  topKPredictions,
  tuneThresholds,
} from '../../../src/report/metrics/multilabel.ts';

// 4 classes × 4 samples. Class 2 has no positive; -1 labels in classes 0 and 3.
const scores = [
  [0.9, 0.6, 0.2, 0.7],
  [0.4, 0.8, 0.55, 0.1],
  [0.3, 0.62, 0.1, 0.6],
  [0.7, 0.65, 0.3, 0.2],
];
const labels = [
  [1, 0, 1, -1],
  [0, 1, 1, 0],
  [0, 0, 0, 0],
  [1, 0, -1, 1],
];

describe('multi-label scores (hand-computed)', () => {
  it('counts at 0.5 skip -1 labels', () => {
    expect(classCounts(thresholdPredictions(scores, 0.5), labels)).toEqual([
      { tp: 1, fp: 1, fn: 1, tn: 0 },
      { tp: 2, fp: 0, fn: 0, tn: 2 },
      { tp: 0, fp: 2, fn: 0, tn: 2 },
      { tp: 1, fp: 1, fn: 1, tn: 0 },
    ]);
  });

  it('CP/CR over classes with positives, OP/OR over all counts', () => {
    const s = multilabelScores(classCounts(thresholdPredictions(scores, 0.5), labels));
    // CP = (1/2 + 1 + 1/2)/3, CR = (1/2 + 1 + 1/2)/3; Nc=4, Np=8, Ng=6
    expect(s.CP).toBeCloseTo(2 / 3, 12);
    expect(s.CR).toBeCloseTo(2 / 3, 12);
    expect(s.CF1).toBeCloseTo(2 / 3, 12);
    expect(s.OP).toBeCloseTo(0.5, 12);
    expect(s.OR).toBeCloseTo(2 / 3, 12);
    expect(s.OF1).toBeCloseTo(4 / 7, 12);
  });

  it('top-3: only the 3 best classes of a sample may be positive', () => {
    const pred = topKPredictions(scores, 3, 0.5);
    // sample 1 scores (.6,.8,.62,.65): class 0 is 4th → dropped although ≥ .5
    expect(Array.from(pred[0]!)).toEqual([1, 0, 0, 1]);
    const s = multilabelScores(classCounts(pred, labels));
    // counts: c0 tp1 fp0 fn1 | c1 tp2 | c2 fp2 | c3 tp1 fp1 fn1
    expect(s.CP).toBeCloseTo((1 + 1 + 0.5) / 3, 12);
    expect(s.CR).toBeCloseTo(2 / 3, 12);
    expect(s.CF1).toBeCloseTo(20 / 27, 12);
    expect(s.OP).toBeCloseTo(4 / 7, 12);
    expect(s.OR).toBeCloseTo(2 / 3, 12);
    expect(s.OF1).toBeCloseTo(8 / 13, 12);
  });

  it('top-k breaks score ties by class index', () => {
    const pred = topKPredictions([[0.9], [0.9], [0.9], [0.9]], 3, 0.5);
    expect(pred.map((p) => p[0])).toEqual([1, 1, 1, 0]);
  });

  it('no positives anywhere → nulls; no predictions → OP 0', () => {
    expect(multilabelScores([{ tp: 0, fp: 3, fn: 0, tn: 1 }]).CP).toBeNull();
    const s = multilabelScores([{ tp: 0, fp: 0, fn: 2, tn: 1 }]);
    expect([s.CP, s.CR, s.CF1, s.OP, s.OR, s.OF1]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('tunes each class threshold to the best F1, keeping the fallback without positives', () => {
    // c0: F1 at .9 = 2/3, .6 = 1/2, .2 = 4/5 ; c1: .55 → 1 ; c3: .2 → 4/5
    expect(tuneThresholds(scores, labels)).toEqual([0.2, 0.55, 0.5, 0.2]);
  });
});
