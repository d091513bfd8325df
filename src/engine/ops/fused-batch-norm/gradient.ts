/**
 * A leaner gradient for `FusedBatchNorm` (tf.batchNorm) with per-channel (rank-1) statistics,
 * registered in place of tfjs-core's. The stock one tiles rsqrt(var+ε) to the full activation
 * shape (a `Tile` that was the third-largest cost of a wasm ResNet-18 step) and makes about 15
 * full-size passes; this one broadcasts and makes 5:
 *   a = γ·(σ²+ε)^−½,  S₁ = Σ dy,  S₂ = Σ dy·(x−μ)         (sums over all axes but the channel)
 *   dx = dy·a,  dμ = −a·S₁,  dσ² = −½·γ·(σ²+ε)^−3/2·S₂,  dγ = (σ²+ε)^−½·S₂,  dβ = S₁
 * (the same partial derivatives as the stock gradient: μ and σ² are treated as inputs, their own
 * dependence on x flows through the ops that computed them). Other ranks use the stock gradient.
 */
import { tf } from '../../tf.ts';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

let stock: GradConfig | undefined;

function gradFunc(dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): Record<string, () => Tensor> {
  const [x, mean, variance, scale] = saved;
  if (mean.rank !== 1 || Array.isArray(dy)) return stock!.gradFunc(dy, saved, attrs);
  const g = dy;
  const eps = attrs.varianceEpsilon as number;
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  // Computed eagerly: the tape runs each closure below in its own tidy, so a tensor shared between
  // closures must come from here (the enclosing gradient scope owns and frees it).
  const rsqrt = tf.rsqrt(tf.add(variance, eps));
  const gamma = scale == null ? tf.scalar(1) : scale;
  const a = tf.mul(gamma, rsqrt);
  const s1 = tf.sum(g, axes);
  const s2 = tf.sum(tf.mul(g, tf.sub(x, mean)), axes);
  return {
    x: () => tf.mul(g, a),
    mean: () => tf.reshape(tf.neg(tf.mul(a, s1)), mean.shape),
    variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(a, tf.square(rsqrt)), -0.5), s2), mean.shape),
    scale: () => tf.reshape(tf.mul(rsqrt, s2), mean.shape),
    offset: () => tf.reshape(s1, mean.shape),
  };
}

/** Replaces tfjs-core's FusedBatchNorm gradient (all backends; same math). Idempotent. */
export function registerFusedBatchNormGrad(): void {
  const current = tf.getGradient('FusedBatchNorm');
  if (current?.gradFunc === gradFunc) return;
  stock = current;
  if (stock == null)
    throw new Error('tfjs-core FusedBatchNorm gradient is not registered; import @tensorflow/tfjs first');
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: gradFunc as GradConfig['gradFunc'],
  });
}

/** The gradient registered before {@link registerFusedBatchNormGrad} (for tests). */
export function stockFusedBatchNormGrad(): GradConfig | undefined {
  return stock;
}
