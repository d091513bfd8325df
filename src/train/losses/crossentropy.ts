/**
 * Cross-entropy: categorical for softmax heads (−Σ_k y_k log p_k), binary for sigmoid heads
 * (−y log σ(z) − (1−y) log(1−σ(z))), with optional label smoothing ε (see ./base.ts).
 * Where the backend has it (native), the whole masked, weighted loss of a head is one kernel with
 * a one-kernel gradient (src/engine/ops/cross-entropy/cross-entropy.ts), the same formula; elsewhere it is composed
 * from tfjs ops.
 */
import type { CrossEntropyArgs } from './options.ts';
import { tf } from '../../engine/tf.ts';
import { fusedCrossEntropy, fusedCrossEntropyAvailable } from '../../engine/ops/cross-entropy/cross-entropy.ts';
import { checkRange, logProbs, reduceMasked, targets, type HeadInfo, type HeadLoss } from './base.ts';

export type { CrossEntropyArgs } from './options.ts';

export class CrossEntropy implements HeadLoss {
  readonly name = 'crossentropy';
  readonly labelSmoothing: number;
  constructor(args: CrossEntropyArgs = {}) {
    this.labelSmoothing = checkRange(this.name, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.999);
  }
  call(logits: tf.Tensor2D, labels: tf.Tensor1D, head: HeadInfo, sampleWeights?: tf.Tensor1D): tf.Scalar {
    if (fusedCrossEntropyAvailable()) {
      return fusedCrossEntropy(logits, labels, {
        softmax: head.kind === 'softmax',
        labelSmoothing: this.labelSmoothing,
        classWeights: head.classWeights,
        sampleWeights,
      });
    }
    return tf.tidy(() =>
      reduceMasked(crossEntropyPerSample(logits, labels, head, this.labelSmoothing), labels, head, sampleWeights),
    );
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, labelSmoothing: this.labelSmoothing };
  }
}

/** Per-sample cross-entropy [N] (unmasked). */
export function crossEntropyPerSample(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  head: HeadInfo,
  epsilon = 0,
): tf.Tensor1D {
  return tf.tidy(() => {
    const y = targets(labels, head, epsilon);
    const { logP, log1mP } = logProbs(logits, head);
    if (head.kind === 'softmax') return tf.neg(tf.sum(y.mul(logP), -1)) as tf.Tensor1D;
    return tf.neg(tf.sum(y.mul(logP).add(tf.sub(1, y).mul(log1mP)), -1)) as tf.Tensor1D;
  });
}
