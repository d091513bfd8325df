/**
 * Probabilities from a trained model. The model outputs logits, one output per head; this
 * applies softmax (K ≥ 2 classes) or sigmoid (binary head) per head.
 */
import type { CompiledInference } from './inference/compile.ts';
import { tf } from '../engine/tf.ts';
import { headKind, type HeadSpec } from '../data/heads.ts';

/**
 * Per head, the probabilities as a flattened N×units Float32Array (row-major).
 * @param compiled `compileInference(model)` (BN folded into fused conv+activation kernels), for
 *   repeated inference with fixed weights; compile again after the weights change. Defaults to
 *   `model.predict`.
 */
export function predictProbs(
  model: tf.LayersModel,
  heads: HeadSpec[],
  x: tf.Tensor4D,
  compiled?: CompiledInference,
): Float32Array[] {
  const probs = tf.tidy(() => {
    const out = compiled ? compiled.predict(x) : model.predict(x);
    return probsFromLogits(heads, Array.isArray(out) ? out : [out]);
  });
  try {
    return probs.map((p) => p.dataSync() as Float32Array);
  } finally {
    tf.dispose(probs);
  }
}

/** Softmax (K ≥ 2 classes) or sigmoid (binary head) of each head's logits; call inside tf.tidy. */
export function probsFromLogits(heads: HeadSpec[], logits: tf.Tensor[]): tf.Tensor[] {
  if (logits.length !== heads.length)
    throw new Error(`probsFromLogits: model has ${logits.length} outputs but ${heads.length} heads were given`);
  return logits.map((l, i) => (headKind(heads[i]!) === 'softmax' ? tf.softmax(l as tf.Tensor2D, -1) : tf.sigmoid(l)));
}
