/**
 * Inference-time weight folding: a BatchNormalization that follows a convolution is an affine map
 * per output channel, y = s·conv(x) + t with s = γ/√(σ² + ε), t = β − μ·s (+ s·bias), so it folds
 * into the convolution's kernel (scaled along its output channels) and a bias. Everything here runs
 * once, at compile time; the results are kept tensors the compiled plan owns.
 */
import { tf } from '../../engine/tf.ts';

/** Per-channel affine map of an inference-mode BatchNormalization: y = x·scale + shift. */
export interface Affine {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

/** Minimal view of a tfjs-layers layer used by the compiler (its class is not exported as a type). */
export interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  weights: Array<{ originalName?: string; name: string; read(): tf.Tensor }>;
}

function weightBySuffix(layer: LayerLike, suffix: string): tf.Tensor | null {
  const w = layer.weights.find((v) => (v.originalName ?? v.name).replace(/_\d+$/, '').endsWith(`/${suffix}`));
  return w ? w.read() : null;
}

/**
 * The affine map of `bn` in inference mode (moving statistics), or null when it does not
 * normalise the last axis of a 4-D/2-D tensor (then the caller falls back to the layer).
 */
export function bnAffine(bn: LayerLike, rank: number): Affine | null {
  const cfg = bn.getConfig();
  const axis = Array.isArray(cfg.axis) ? (cfg.axis as number[]) : [cfg.axis as number];
  if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === rank - 1)) return null;
  const mean = weightBySuffix(bn, 'moving_mean');
  const variance = weightBySuffix(bn, 'moving_variance');
  if (!mean || !variance) return null;
  const gamma = cfg.scale === false ? null : weightBySuffix(bn, 'gamma');
  const beta = cfg.center === false ? null : weightBySuffix(bn, 'beta');
  const eps = Number(cfg.epsilon ?? 1e-3);
  return tf.tidy(() => {
    let scale = tf.rsqrt(tf.add(variance, eps));
    if (gamma) scale = tf.mul(scale, gamma);
    let shift = tf.neg(tf.mul(mean, scale));
    if (beta) shift = tf.add(shift, beta);
    return { scale: tf.keep(scale as tf.Tensor1D), shift: tf.keep(shift as tf.Tensor1D) };
  });
}

/** A kernel and bias ready for a fused conv. */
export interface Folded {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D | null;
}

/**
 * Folds `affine` (over the conv's output channels) into `kernel` [kh, kw, cin, cout] — or, for a
 * depthwise kernel [kh, kw, cin, mult], over the cin·mult outputs — and the optional conv bias.
 * Without an affine map the kernel is kept as is (a clone, so the plan owns every tensor).
 */
export function foldConv(
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  affine: Affine | null,
  depthwise: boolean,
): Folded {
  if (!affine) return { filter: kernel.clone(), bias: bias ? bias.clone() : null };
  const [, , cin, last] = kernel.shape;
  const filter = tf.tidy(
    () => tf.mul(kernel, depthwise ? affine.scale.reshape([cin, last]) : affine.scale) as tf.Tensor4D,
  );
  const b = tf.tidy(
    () => (bias ? tf.add(tf.mul(bias, affine.scale), affine.shift) : affine.shift.clone()) as tf.Tensor1D,
  );
  return { filter, bias: b };
}

/** Channels [c0, c0 + n) of an affine map (owned by the caller), or null. */
export function sliceAffine(affine: Affine | null, c0: number, n: number): Affine | null {
  if (!affine) return null;
  return tf.tidy(() => ({ scale: tf.keep(affine.scale.slice(c0, n)), shift: tf.keep(affine.shift.slice(c0, n)) }));
}

export function disposeAffine(affine: Affine | null): void {
  if (affine) tf.dispose([affine.scale, affine.shift]);
}
