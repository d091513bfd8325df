/**
 * Probabilities from a trained model. The model outputs logits, one output per head; this
 * applies softmax (K ≥ 2 classes) or sigmoid (binary head) per head.
 */
import { tf } from '../engine/tf.ts';
import { headKind, type HeadSpec } from './heads.ts';

/** Per head, the probabilities as a flattened N×units Float32Array (row-major). */
export function predictProbs(model: tf.LayersModel, heads: HeadSpec[], x: tf.Tensor4D): Float32Array[] {
  const probs = tf.tidy(() => {
    const out = model.predict(x);
    const logits = Array.isArray(out) ? out : [out];
    if (logits.length !== heads.length) throw new Error(`predictProbs: model has ${logits.length} outputs but ${heads.length} heads were given`);
    return logits.map((l, i) => (headKind(heads[i]!) === 'softmax' ? tf.softmax(l as tf.Tensor2D, -1) : tf.sigmoid(l)));
  });
  try {
    return probs.map((p) => p.dataSync() as Float32Array);
  } finally {
    tf.dispose(probs);
  }
}
