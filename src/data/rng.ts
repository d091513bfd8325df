/**
 * Small seeded pseudo-random numbers for everything in src/data that must repeat for a seed:
 * shuffling, augmentation, demo datasets, splits. Two primitives, both well known and public domain:
 * - `splitmix32`-style hashing (`mixSeed`) to derive independent streams from (seed, epoch, index);
 * - `mulberry32` as the generator: 32-bit state, period 2^32, good enough for data order and noise.
 */

/** A seeded generator. `next()` returns a float in [0, 1). */
export interface Rng {
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** Adds `std`·N(0, 1) to every value of `out` (Marsaglia polar method, inlined for speed). */
  addNormal(out: Float32Array, std: number): void;
}

/** Hashes any number of integers into one 32-bit seed (splitmix32 finaliser per word). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = (h + (w | 0) + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    h = z ^ (z >>> 16);
  }
  return h >>> 0;
}

/** mulberry32 generator seeded by `seed` (any integer). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  let spare: number | undefined;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    addNormal: (out, std) => {
      let s = a;
      const uniform = (): number => {
        s = (s + 0x6d2b79f5) | 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      for (let i = 0; i < out.length; i += 2) {
        let u: number;
        let v: number;
        let q: number;
        do {
          u = 2 * uniform() - 1;
          v = 2 * uniform() - 1;
          q = u * u + v * v;
        } while (q >= 1 || q === 0);
        const f = std * Math.sqrt((-2 * Math.log(q)) / q);
        out[i] = out[i]! + u * f;
        if (i + 1 < out.length) out[i + 1] = out[i + 1]! + v * f;
      }
      a = s;
    },
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** Fisher–Yates shuffle in place with `rng`; returns the array. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}
