import { describe, expect, it } from 'vitest';
import { evaluatePredictions, keyMetrics } from '../../../src/report/metrics/evaluate.ts';

const heads = [
  { name: 'A', classes: ['a', 'b', 'c'] },
  { name: 'dress', classes: ['dress'] },
  { name: 'shirt', classes: ['shirt'] },
];
const input = {
  heads,
  probs: [
    new Float32Array([0.95, 0.03, 0.02, 0.1, 0.85, 0.05, 0.2, 0.2, 0.6]),
    new Float32Array([0.96, 0.3, 0.8]),
    new Float32Array([0.05, 0.7, 0.2]),
  ],
  // rows: sample 0..2, columns A, dress, shirt
  labels: new Int32Array([0, 1, 0, 2, 0, 1, -1, 0, -1]),
  paths: ['s0.jpg', 's1.jpg', 's2.jpg'],
};

describe('evaluatePredictions on a mixed softmax + binary model (hand-computed)', () => {
  const { metrics, mistakes } = evaluatePredictions(input, { baseConfidence: 0.9 });

  it('seed metrics over all heads (binary heads decide at 0.5)', () => {
    expect(metrics.samples).toBe(3);
    expect(metrics.allHeads).toEqual({ correct: 1, count: 3, accuracy: 1 / 3 });
    expect(metrics.confidence).toEqual({ threshold: 0.9, count: 1, fraction: 1 / 3, wrong: 0, errorRate: 0 });
    expect(metrics.heads.A).toMatchObject({ kind: 'softmax', correct: 1, count: 2, accuracy: 0.5 });
    expect(metrics.heads.dress).toMatchObject({
      kind: 'sigmoid',
      ap: 1,
      positives: 1,
      counts: { tp: 1, fp: 1, fn: 0, tn: 1 },
    });
    expect(metrics.heads.shirt).toMatchObject({
      kind: 'sigmoid',
      ap: 1,
      positives: 1,
      counts: { tp: 1, fp: 0, fn: 0, tn: 1 },
    });
    expect(metrics.multilabel?.mAP).toBe(1);
  });

  it('lists mistakes most confident first, with names per head', () => {
    expect(mistakes.map((m) => [m.path, m.confident])).toEqual([
      ['s1.jpg', false],
      ['s2.jpg', false],
    ]);
    expect(mistakes[0]!.score).toBeCloseTo(0.85, 6);
    expect(mistakes[0]!.heads.map((h) => [h.head, h.pred, h.true, h.ok])).toEqual([
      ['A', 'b', 'c', false],
      ['dress', 'not dress', 'not dress', true],
      ['shirt', 'shirt', 'shirt', true],
    ]);
    expect(mistakes[1]!.heads.map((h) => h.head)).toEqual(['dress']);
  });

  it('confidentWrong holds the sure mistakes (threshold 0.8 makes sample 2 sure)', () => {
    const e = evaluatePredictions(input, { baseConfidence: 0.8 });
    expect(e.metrics.confidentWrong.map((m) => m.path)).toEqual(['s2.jpg']);
    expect(e.metrics.confidence.errorRate).toBe(0.5);
  });

  it('tuned thresholds re-count the binary heads', () => {
    const e = evaluatePredictions(input, { thresholds: [0.9, 0.5] });
    expect(e.metrics.heads.dress).toMatchObject({ tuned: { threshold: 0.9, counts: { tp: 1, fp: 0, fn: 0, tn: 2 } } });
    expect(e.metrics.multilabel?.tuned).toMatchObject({ OP: 1, OR: 1, thresholds: { dress: 0.9, shirt: 0.5 } });
    expect(() => evaluatePredictions(input, { thresholds: [0.5] })).toThrow(
      'expected 2 tuned thresholds (one per binary head), got 1',
    );
  });

  it('key metrics for the runner', () => {
    const k = keyMetrics(metrics);
    expect(k).toMatchObject({
      all_heads_acc: 1 / 3,
      'acc/A': 0.5,
      confident_count: 1,
      confident_error_rate: 0,
      mAP: 1,
    });
    expect(Object.keys(k)).toContain('OF1_top3');
  });

  it('rejects probabilities of the wrong shape', () => {
    expect(() => evaluatePredictions({ ...input, probs: input.probs.slice(0, 2) })).toThrow(
      'expected probabilities for 3 heads, got 2',
    );
  });
});
