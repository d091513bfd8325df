/**
 * Top-k accuracy, balanced accuracy, MCC, log-loss, Brier and the most-confused pairs, each checked
 * against scikit-learn (Debian's python3-sklearn, /usr/bin/python3) on the same predictions: a
 * 10-class softmax head and a binary head, 300 samples, some labels unknown (-1).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  evaluatePredictions,
  type BinaryHeadMetrics,
  type SoftmaxHeadMetrics,
} from '../../../src/report/metrics/evaluate.ts';
import { balancedAccuracy, matthewsCorrcoef, mostConfused, topKAccuracy } from '../../../src/report/metrics/scores.ts';

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const N = 300;
const K = 10;
const r = rng(7);
const labels = new Int32Array(N * 2);
const soft = new Float32Array(N * K);
const bin = new Float32Array(N);
for (let i = 0; i < N; i++) {
  const y = Math.floor(r() * K);
  labels[i * 2] = r() < 0.05 ? -1 : y;
  const logits = Array.from({ length: K }, (_, k) => (k === y ? 1.5 : 0) + (k === (y + 1) % K ? 0.8 : 0) + 2 * r());
  const z = logits.reduce((a, v) => a + Math.exp(v), 0);
  logits.forEach((v, k) => (soft[i * K + k] = Math.exp(v) / z));
  const yb = r() < 0.4 ? 1 : 0;
  labels[i * 2 + 1] = r() < 0.05 ? -1 : yb;
  bin[i] = Math.min(1, Math.max(0, yb ? 0.35 + 0.6 * r() : 0.6 * r()));
}
bin[3] = 0; // a certain mistake or hit: exercises the log-loss clip
bin[4] = 1;

const SKLEARN = String.raw`
import json, sys
import numpy as np
from sklearn.metrics import top_k_accuracy_score, balanced_accuracy_score, matthews_corrcoef, log_loss, brier_score_loss, confusion_matrix
from sklearn.preprocessing import label_binarize
d = json.load(open(sys.argv[1]))
K = d['K']
y = np.array(d['labels']).reshape(-1, 2)
P = np.array(d['soft'], dtype=np.float32).astype(np.float64).reshape(-1, K)
b = np.array(d['bin'], dtype=np.float32).astype(np.float64)
m = y[:, 0] >= 0
ys, Ps = y[m, 0], P[m]
pred = Ps.argmax(axis=1)
cm = confusion_matrix(ys, pred, labels=list(range(K)))
pairs = sorted([(int(cm[t, p]), t, p) for t in range(K) for p in range(K) if t != p and cm[t, p] > 0], key=lambda x: -x[0])[:5]
mb = y[:, 1] >= 0
yb, pb = y[mb, 1], b[mb]
predb = (pb >= 0.5).astype(int)
print(json.dumps({
  'soft': {
    'top2': top_k_accuracy_score(ys, Ps, k=2, labels=list(range(K))),
    'top3': top_k_accuracy_score(ys, Ps, k=3, labels=list(range(K))),
    'top5': top_k_accuracy_score(ys, Ps, k=5, labels=list(range(K))),
    'balanced': balanced_accuracy_score(ys, pred),
    'mcc': matthews_corrcoef(ys, pred),
    'logloss': log_loss(ys, Ps, labels=list(range(K))),
    'brier': float(np.mean(np.sum((Ps - label_binarize(ys, classes=list(range(K)))) ** 2, axis=1))),
    'pairs': [[str(t), str(p), c] for c, t, p in pairs],
  },
  'bin': {
    'balanced': balanced_accuracy_score(yb, predb),
    'mcc': matthews_corrcoef(yb, predb),
    'logloss': log_loss(yb, pb, labels=[0, 1]),
    'brier': brier_score_loss(yb, pb),
  },
}))
`;

describe('scores against scikit-learn', () => {
  it('top-k, balanced accuracy, MCC, log-loss, Brier and most-confused pairs of a softmax and a binary head', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlc-scores-'));
    writeFileSync(join(dir, 'd.json'), JSON.stringify({ K, labels: [...labels], soft: [...soft], bin: [...bin] }));
    writeFileSync(join(dir, 's.py'), SKLEARN);
    const sk = JSON.parse(
      execFileSync('/usr/bin/python3', [join(dir, 's.py'), join(dir, 'd.json')], { encoding: 'utf8' }),
    );
    const classes = Array.from({ length: K }, (_, k) => String(k));
    const { metrics } = evaluatePredictions({
      heads: [
        { name: 'digit', classes },
        { name: 'flag', classes: ['flag'] },
      ],
      probs: [soft, bin],
      labels,
      paths: [],
    });
    const s = metrics.heads.digit as SoftmaxHeadMetrics;
    expect(s.scores.topk.top2).toBeCloseTo(sk.soft.top2, 12);
    expect(s.scores.topk.top3).toBeCloseTo(sk.soft.top3, 12);
    expect(s.scores.topk.top5).toBeCloseTo(sk.soft.top5, 12);
    expect(s.scores.balancedAccuracy).toBeCloseTo(sk.soft.balanced, 12);
    expect(s.scores.mcc).toBeCloseTo(sk.soft.mcc, 12);
    // sklearn renormalises each row (float32 rows sum to 1 ± 1e-7)
    expect(s.scores.logLoss).toBeCloseTo(sk.soft.logloss, 6);
    expect(s.scores.brier).toBeCloseTo(sk.soft.brier, 10);
    expect(s.mostConfused.map((p) => [p.true, p.pred, p.count])).toEqual(sk.soft.pairs);
    expect(s.mostConfused.length).toBe(5);
    const b = metrics.heads.flag as BinaryHeadMetrics;
    expect(b.scores.balancedAccuracy).toBeCloseTo(sk.bin.balanced, 12);
    expect(b.scores.mcc).toBeCloseTo(sk.bin.mcc, 12);
    expect(b.scores.logLoss).toBeCloseTo(sk.bin.logloss, 10);
    expect(b.scores.brier).toBeCloseTo(sk.bin.brier, 10);
  });

  it('edge cases: no known sample is null, a constant prediction has MCC 0, top-k ties count in', () => {
    expect(topKAccuracy([0.5, 0.5], [-1], 2, 1)).toBeNull();
    expect(
      balancedAccuracy([
        [0, 0],
        [0, 0],
      ]),
    ).toBeNull();
    expect(
      matthewsCorrcoef([
        [3, 0],
        [2, 0],
      ]),
    ).toBe(0); // sklearn: 0 when a denominator factor is 0
    expect(topKAccuracy([0.4, 0.4, 0.2], [1], 3, 1)).toBe(1);
    expect(
      mostConfused(
        [
          [1, 2],
          [0, 3],
        ],
        ['a', 'b'],
      ),
    ).toEqual([{ true: 'a', pred: 'b', count: 2, rate: 2 / 3 }]);
  });
});
