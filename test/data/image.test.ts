import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  augmentImage,
  resolveAugment,
} from '../../src/data/image/augment.ts';
import { perImageStandardize, swapRgbBgr } from '../../src/data/image/whiten.ts';
import { createRng, mixSeed, type Rng } from '../../src/data/rng.ts';

/** An Rng whose next() always returns `v` (for forcing branches). */
function constRng(v: number): Rng {
  return {
    next: () => v,
    int: (n) => Math.floor(v * n),
    uniform: (lo, hi) => lo + (hi - lo) * v,
    normal: () => 0,
    addNormal: () => {},
  };
}

describe('perImageStandardize', () => {
  it('matches (x - mean) / max(std, 1/sqrt(N)) computed in float64', () => {
    // 16 values i/15: population std = sqrt((16²−1)/12)/15 = 0.3073 > 1/sqrt(16) = 0.25, so the plain std divides.
    const values = Array.from({ length: 16 }, (_, i) => i / 15);
    const mean = 0.5;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 16);
    expect(std).toBeCloseTo(0.30732, 4);
    const got = perImageStandardize(Float32Array.from(values));
    got.forEach((v, i) => expect(v).toBeCloseTo((values[i]! - mean) / std, 5));
  });

  it('divides by 1/sqrt(N) when the std is below it', () => {
    // [0.1, 0.5, 0.9, 0.2, 0.2, 0.7]: std 0.2925 < 1/sqrt(6) = 0.4082
    const values = [0.1, 0.5, 0.9, 0.2, 0.2, 0.7];
    const mean = 2.6 / 6;
    const got = perImageStandardize(Float32Array.from(values));
    got.forEach((v, i) => expect(v).toBeCloseTo((values[i]! - mean) * Math.sqrt(6), 5));
  });

  it('uses the 1/sqrt(N) floor for a near-constant image', () => {
    const x = new Float32Array(16).fill(0.5);
    x[0] = 0.5 + 1e-4;
    const got = perImageStandardize(x.slice());
    const mean = 0.5 + 1e-4 / 16;
    // std ≈ 2.4e-5 < 1/sqrt(16) = 0.25, so the divisor is 0.25
    expect(got[0]).toBeCloseTo((0.5 + 1e-4 - mean) / 0.25, 6);
    expect(got[1]).toBeCloseTo((0.5 - mean) / 0.25, 6);
  });
});

describe('pixel ops', () => {
  it('swapRgbBgr swaps channel 0 and 2', () => {
    expect(Array.from(swapRgbBgr(Float32Array.from([1, 2, 3, 4, 5, 6]), 3))).toEqual([3, 2, 1, 6, 5, 4]);
    expect(Array.from(swapRgbBgr(Float32Array.from([1, 2]), 1))).toEqual([1, 2]);
  });

  it('brightness adds a delta, contrast scales around the per-channel mean', () => {
    const px = Float32Array.from([0.2, 0.4, 0.6, 0.8]);
    adjustBrightness(px, 0.1);
    expect(Array.from(px).map((v) => +v.toFixed(6))).toEqual([0.3, 0.5, 0.7, 0.9]);
    const rgb = Float32Array.from([0.2, 0.0, 1.0, 0.6, 0.5, 0.0]); // two pixels, 3 channels
    adjustContrast(rgb, 3, 2);
    // channel means: 0.4, 0.25, 0.5
    expect(Array.from(rgb).map((v) => +v.toFixed(6) + 0)).toEqual([0.0, -0.25, 1.5, 0.8, 0.75, -0.5]);
  });

  it('saturation 0 gives the luma grey, 1 leaves the pixel unchanged', () => {
    const a = Float32Array.from([1, 0, 0]);
    adjustSaturation(a, 0);
    expect(Array.from(a).map((v) => +v.toFixed(6))).toEqual([0.299, 0.299, 0.299]);
    const b = Float32Array.from([0.3, 0.6, 0.9]);
    adjustSaturation(b, 1);
    expect(Array.from(b).map((v) => +v.toFixed(6))).toEqual([0.3, 0.6, 0.9]);
  });
});

describe('augmentImage', () => {
  const shape = { height: 2, width: 3, channels: 1 };
  const img = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  const off = resolveAugment({ noise: false, brightness: 0, saturation: [1, 1], contrast: [1, 1] });

  it('with every op off returns the input values', () => {
    expect(Array.from(augmentImage(img.slice(), shape, off, createRng(1)))).toEqual(Array.from(img));
  });

  it('hflip mirrors each row exactly', () => {
    const out = augmentImage(img.slice(), shape, { ...off, hflip: true }, constRng(0));
    expect(Array.from(out).map((v) => +v.toFixed(6))).toEqual([0.3, 0.2, 0.1, 0.6, 0.5, 0.4]);
  });

  it('clips to [0, 1] and is deterministic for a seed', () => {
    const opts = resolveAugment({ brightness: 0.9, hflip: true, crop: 0.2, rotate: 10 });
    const big = new Float32Array(8 * 8 * 3).map((_, i) => (i % 7) / 7);
    const s = { height: 8, width: 8, channels: 3 };
    const a = augmentImage(big.slice(), s, opts, createRng(mixSeed(3, 4)));
    const b = augmentImage(big.slice(), s, opts, createRng(mixSeed(3, 4)));
    const c = augmentImage(big.slice(), s, opts, createRng(mixSeed(3, 5)));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
  });
});
