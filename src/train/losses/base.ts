/**
 * The loss contract: a `HeadLoss` turns one head's logits [N, units] and integer labels [N]
 * (-1 = unknown) into a scalar. Masked samples contribute nothing to the loss or its gradient.
 * Reduction: Σ_valid cw[y_i] · w_i · ℓ_i / (number of valid samples), where cw are the head's
 * class weights (1 when absent) and w_i optional per-sample constants (GHM).
 *
 * Targets: softmax heads use one-hot rows over K classes, binary (sigmoid) heads a single 0/1
 * column; label smoothing ε moves them toward 1/K (softmax) or 1/2 (sigmoid), Szegedy et al. 2016.
 */
import { tf } from '../../engine/tf.ts';
import type { HeadKind } from '../../data/heads.ts';

export interface HeadInfo {
  /** softmax (K ≥ 2 classes) or sigmoid (binary, 1 unit). */
  kind: HeadKind;
  /** Output units: K for softmax, 1 for sigmoid. */
  units: number;
  /** Per-class weight (K entries for softmax, 2 entries [w0, w1] for sigmoid). Defaults to all 1. */
  classWeights?: number[];
  /** Position of the head in classes.json; keys per-head loss state (GHM). Defaults to 0. */
  index?: number;
}

export interface HeadLoss {
  readonly name: string;
  /**
   * Scalar loss of one head; call inside a tidy/gradient function. `sampleWeights` (constants,
   * [N]) scale each sample's term, e.g. mixup's λ; the divisor stays the number of valid samples.
   */
  call(logits: tf.Tensor2D, labels: tf.Tensor1D, head: HeadInfo, sampleWeights?: tf.Tensor1D): tf.Scalar;
  /** A view for validation that reads but never updates the running state (GHM). Defaults to the loss itself. */
  frozen?(): HeadLoss;
  /** Running state to checkpoint (e.g. GHM's EMA), keyed by head index. */
  getState?(): unknown;
  setState?(state: unknown): void;
  /** The config this loss was made from (stored in config.json). */
  getConfig(): Record<string, unknown>;
}

/** 1 where the label is known (≥ 0), else 0; float [N]. */
export function validMask(labels: tf.Tensor1D): tf.Tensor1D {
  return tf.cast(tf.greaterEqual(labels, 0), 'float32') as tf.Tensor1D;
}

/** Targets [N, units] with labels clipped to ≥ 0 (masked rows are ignored later), smoothed by ε. */
export function targets(labels: tf.Tensor1D, head: HeadInfo, epsilon = 0): tf.Tensor2D {
  return tf.tidy(() => {
    const safe = tf.maximum(labels, 0) as tf.Tensor1D;
    let y: tf.Tensor2D =
      head.kind === 'softmax'
        ? (tf.oneHot(tf.cast(safe, 'int32'), head.units).toFloat() as tf.Tensor2D)
        : (tf.cast(safe, 'float32').reshape([-1, 1]) as tf.Tensor2D);
    if (epsilon > 0) {
      const prior = head.kind === 'softmax' ? 1 / head.units : 0.5;
      y = y.mul(1 - epsilon).add(epsilon * prior) as tf.Tensor2D;
    }
    return y;
  });
}

/** Probabilities [N, units]: softmax or sigmoid of the logits. */
export function probabilities(logits: tf.Tensor2D, head: HeadInfo): tf.Tensor2D {
  return head.kind === 'softmax' ? tf.softmax(logits, -1) : (tf.sigmoid(logits) as tf.Tensor2D);
}

/** log p and log(1 − p) computed stably from logits (elementwise for sigmoid, log-softmax for softmax). */
export function logProbs(logits: tf.Tensor2D, head: HeadInfo): { logP: tf.Tensor2D; log1mP: tf.Tensor2D } {
  if (head.kind === 'softmax') {
    const logP = tf.logSoftmax(logits, -1) as tf.Tensor2D;
    // log(1 − p) = log(−expm1(log p)); clamp so p → 1 stays finite.
    const log1mP = tf.log(tf.maximum(tf.sub(1, tf.exp(logP)), 1e-12)) as tf.Tensor2D;
    return { logP, log1mP };
  }
  // log σ(z) = −softplus(−z); log(1 − σ(z)) = −softplus(z)
  return {
    logP: tf.neg(tf.softplus(tf.neg(logits))) as tf.Tensor2D,
    log1mP: tf.neg(tf.softplus(logits)) as tf.Tensor2D,
  };
}

/** Class weight of each sample [N] (1 when the head has none). */
export function sampleClassWeights(labels: tf.Tensor1D, head: HeadInfo): tf.Tensor1D {
  const n = labels.shape[0];
  if (!head.classWeights) return tf.ones([n]);
  return tf.gather(tf.tensor1d(head.classWeights), tf.cast(tf.maximum(labels, 0), 'int32')) as tf.Tensor1D;
}

/** Σ_valid cw·w·ℓ / max(1, #valid). `perSample` is [N]; `weights` optional constants [N]. */
export function reduceMasked(
  perSample: tf.Tensor1D,
  labels: tf.Tensor1D,
  head: HeadInfo,
  weights?: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() => {
    const mask = validMask(labels);
    // where() rather than a product so a masked row cannot leak NaN/Inf into the sum or gradient.
    const safe = tf.where(tf.greater(mask, 0), perSample, tf.zerosLike(perSample));
    let w = mask.mul(sampleClassWeights(labels, head));
    if (weights) w = w.mul(weights);
    return tf.sum(safe.mul(w)).div(tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/** Checks a number option; throws a message naming the option, expected and received value. */
export function checkRange(loss: string, option: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `${loss}: option "${option}" must be a number in [${min}, ${max}], received ${JSON.stringify(value)} (${typeof value})`,
    );
  }
  return value;
}

/** x^γ, with γ = 0 giving exact ones (pow's gradient at x = 0 would be 0·∞ = NaN). */
export function focusing(x: tf.Tensor, gamma: number): tf.Tensor {
  return gamma === 0 ? tf.onesLike(x) : tf.pow(x, gamma);
}
