import { describe, expect, it } from 'vitest';
import { averagePrecision, precisionRecallCurve } from '../../../src/report/metrics/average-precision.ts';

describe('averagePrecision (sklearn definition, values computed by hand)', () => {
  it('no ties: Σ (R_n − R_{n−1}) P_n', () => {
    // ranks: P=1,R=.5 | P=.5,R=.5 | P=2/3,R=1 | P=.5,R=1  →  .5·1 + .5·2/3
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBeCloseTo(5 / 6, 12);
  });

  it('tied scores form one threshold, whatever their input order', () => {
    // threshold .8 takes both tied samples: P=.5,R=.5; then .5: P=2/3,R=1  →  .25 + 1/3
    expect(averagePrecision([0.8, 0.8, 0.5, 0.3], [1, 0, 1, 0])).toBeCloseTo(7 / 12, 12);
    expect(averagePrecision([0.8, 0.8, 0.5, 0.3], [0, 1, 1, 0])).toBeCloseTo(7 / 12, 12);
    // all tied: one threshold, P = prevalence
    expect(averagePrecision([0.5, 0.5, 0.5], [1, 0, 0])).toBeCloseTo(1 / 3, 12);
  });

  it('leaves labels -1 out', () => {
    // known: (.1, pos), (.8, neg) → .8: P=0,R=0; .1: P=.5,R=1  →  .5
    expect(averagePrecision([0.9, 0.1, 0.8], [-1, 1, 0])).toBeCloseTo(0.5, 12);
  });

  it('is null for a class without positives and for no known labels', () => {
    expect(averagePrecision([0.9, 0.2], [0, 0])).toBeNull();
    expect(averagePrecision([0.9, 0.2], [-1, -1])).toBeNull();
  });

  it('curve has one point per distinct score, highest first', () => {
    const c = precisionRecallCurve([0.8, 0.8, 0.5, 0.3], [1, 0, 1, 0]);
    expect(c.map((p) => p.threshold)).toEqual([0.8, 0.5, 0.3]);
    expect(c.map((p) => [p.tp, p.fp])).toEqual([
      [1, 1],
      [2, 1],
      [2, 2],
    ]);
    expect(c.map((p) => p.recall)).toEqual([0.5, 1, 1]);
  });

  it('rejects mismatched lengths', () => {
    expect(() => averagePrecision([0.1], [1, 0])).toThrow('scores and labels differ in length: 1 vs 2');
  });
});
