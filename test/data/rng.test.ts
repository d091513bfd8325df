import { describe, expect, it } from 'vitest';
import { createRng, mixSeed, shuffleInPlace } from '../../src/data/rng.ts';
import { sampleBeta } from '../../src/data/loader/mixup.ts';

const moments = (xs: ArrayLike<number>): { mean: number; std: number } => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let q = 0;
  for (let i = 0; i < xs.length; i++) q += (xs[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / xs.length) };
};

describe('rng', () => {
  it('mulberry32 is deterministic per seed and uniform in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 50_000 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs.slice(0, 5));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const m = moments(xs); // U(0,1): mean 1/2, std 1/sqrt(12) = 0.2887
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.std).toBeCloseTo(0.2887, 2);
    expect(createRng(43).next()).not.toBe(createRng(42).next());
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it('normal() and addNormal() give N(0, σ²) samples', () => {
    const r = createRng(7);
    const m1 = moments(Array.from({ length: 50_000 }, () => r.normal()));
    expect(m1.mean).toBeCloseTo(0, 1);
    expect(m1.std).toBeCloseTo(1, 1);
    const buf = new Float32Array(100_001).fill(0.5);
    createRng(8).addNormal(buf, 0.05);
    const m2 = moments(buf);
    expect(m2.mean).toBeCloseTo(0.5, 3);
    expect(m2.std).toBeCloseTo(0.05, 3);
    const again = new Float32Array(100_001).fill(0.5);
    createRng(8).addNormal(again, 0.05);
    expect(again).toEqual(buf);
  });

  it('shuffleInPlace is a permutation and every position is equally likely', () => {
    const hits = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    const r = createRng(3);
    for (let k = 0; k < 8000; k++) shuffleInPlace([0, 1, 2, 3], r).forEach((v, pos) => hits[v]![pos]!++);
    for (const row of hits) for (const h of row) expect(Math.abs(h - 2000)).toBeLessThan(200);
  });

  it('Beta(α, α) samples have mean 1/2 and variance 1/(4(2α+1))', () => {
    const r = createRng(5);
    for (const alpha of [0.4, 2]) {
      const m = moments(Array.from({ length: 20_000 }, () => sampleBeta(alpha, r)));
      expect(m.mean).toBeCloseTo(0.5, 1);
      expect(m.std ** 2).toBeCloseTo(1 / (4 * (2 * alpha + 1)), 2);
    }
  });
});
