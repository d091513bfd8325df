import { describe, expect, it } from 'vitest';
import {
  accuracy,
  allHeadsAccuracy,
  confidenceAnalysis,
  confusionMatrix,
  headPrediction,
  labelColumn,
} from '../../../src/report/metrics/categorical.ts';

// head A: 3 classes; head B: 2 classes; sample 4 has both labels -1.
const probsA = new Float32Array([0.95, 0.03, 0.02, 0.1, 0.85, 0.05, 0.2, 0.2, 0.6, 0.05, 0.92, 0.03, 0.3, 0.4, 0.3]);
const probsB = new Float32Array([0.97, 0.03, 0.2, 0.8, 0.45, 0.55, 0.04, 0.96, 0.3, 0.7]);
const labels = new Int32Array([0, 0, 2, 1, 2, -1, 0, 1, -1, -1]);

describe('categorical metrics (hand-computed)', () => {
  const A = headPrediction(probsA, 3);
  const B = headPrediction(probsB, 2);
  const yA = labelColumn(labels, 2, 0);
  const yB = labelColumn(labels, 2, 1);

  it('argmax and its probability', () => {
    expect(Array.from(A.pred)).toEqual([0, 1, 2, 1, 1]);
    expect(A.conf[3]).toBeCloseTo(0.92, 6);
    expect(Array.from(yB)).toEqual([0, 1, -1, 1, -1]);
  });

  it('binary head decides at the threshold; conf is the decided side', () => {
    const b = headPrediction([0.2, 0.5, 0.7], 1);
    expect(Array.from(b.pred)).toEqual([0, 1, 1]);
    expect(b.conf[0]).toBeCloseTo(0.8, 6);
    expect(Array.from(headPrediction([0.6], 1, 0.65).pred)).toEqual([0]);
  });

  it('accuracy per head leaves -1 out', () => {
    expect(accuracy(A.pred, yA)).toEqual({ correct: 2, count: 4, accuracy: 0.5 });
    expect(accuracy(B.pred, yB)).toEqual({ correct: 3, count: 3, accuracy: 1 });
    expect(accuracy([1], [-1]).accuracy).toBeNull();
  });

  it('all-heads accuracy: every known head right, all-unknown samples excluded', () => {
    expect(allHeadsAccuracy([A.pred, B.pred], [yA, yB])).toEqual({ correct: 2, count: 4, accuracy: 0.5 });
  });

  it('confusion matrix is [true][pred]', () => {
    expect(confusionMatrix(A.pred, yA, 3)).toEqual([
      [1, 1, 0],
      [0, 0, 0],
      [0, 1, 1],
    ]);
  });

  it('confidence analysis at 0.9: samples 0 and 3 are sure, 3 is wrong', () => {
    expect(confidenceAnalysis([A, B], [yA, yB], 0.9)).toEqual({
      threshold: 0.9,
      count: 2,
      fraction: 0.5,
      wrong: 1,
      errorRate: 0.5,
      wrongIndices: [3],
    });
    // at 0.5 every known sample is sure (s2: A .6, B masked), wrong ones are 1 and 3
    const c = confidenceAnalysis([A, B], [yA, yB], 0.5);
    expect([c.count, c.wrong, c.wrongIndices]).toEqual([4, 2, [1, 3]]);
  });
});
