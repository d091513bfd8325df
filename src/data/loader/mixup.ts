/**
 * Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization") on a finished batch:
 * image i becomes λ_i·x_i + (1 − λ_i)·x_p(i), p(i) = (i + s) mod N for a random shift s in [1, N),
 * λ_i ~ Beta(α, α) folded to max(λ, 1 − λ) so the primary image dominates.
 *
 * Labels stay integers: the batch keeps `labels` (primary) and adds `mix.labels` (partner) and
 * `mix.lambda`; the consumer's loss is λ·L(labels) + (1 − λ)·L(mix.labels), which is exact for
 * softmax and sigmoid heads alike and treats -1 (unknown) per term as usual.
 */
import type { Rng } from '../rng.ts';

export interface MixInfo {
  /** Weight of the primary image/labels per image (N values in [0.5, 1]). */
  lambda: Float32Array;
  /** Partner labels, N×heads. */
  labels: Int32Array;
}

/** Marsaglia–Tsang gamma(shape, 1) sampler (shape < 1 via the u^(1/shape) boost). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, a) sample. */
export function sampleBeta(a: number, rng: Rng): number {
  const x = gamma(a, rng);
  const y = gamma(a, rng);
  return x / (x + y);
}

/** Mixes `images` (N×pixels) in place; returns the mix info for the labels. */
export function mixBatch(
  images: Float32Array,
  labels: Int32Array,
  n: number,
  heads: number,
  alpha: number,
  rng: Rng,
): MixInfo {
  const lambda = new Float32Array(n);
  const partnerLabels = new Int32Array(n * heads);
  if (n < 2) {
    lambda.fill(1);
    partnerLabels.set(labels);
    return { lambda, labels: partnerLabels };
  }
  const per = images.length / n;
  const shift = 1 + rng.int(n - 1);
  const original = images.slice();
  for (let i = 0; i < n; i++) {
    const p = (i + shift) % n;
    const l = sampleBeta(alpha, rng);
    const lam = Math.max(l, 1 - l);
    lambda[i] = lam;
    for (let k = 0; k < per; k++)
      images[i * per + k] = lam * original[i * per + k]! + (1 - lam) * original[p * per + k]!;
    partnerLabels.set(labels.subarray(p * heads, (p + 1) * heads), i * heads);
  }
  return { lambda, labels: partnerLabels };
}
