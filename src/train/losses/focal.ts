/**
 * Focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"):
 *   sigmoid head: −α y (1−p)^γ log p − (1−α)(1−y) p^γ log(1−p)
 *   softmax head: −Σ_k y_k (1−p_k)^γ log p_k   (α is not used: there is no negative class)
 * γ = 0 and α = 0.5 give ½·BCE. Targets may be label-smoothed.
 */
import type { FocalArgs } from './options.ts';
import { tf } from '../../engine/tf.ts';
import {
  checkRange,
  focusing,
  logProbs,
  probabilities,
  reduceMasked,
  targets,
  type HeadInfo,
  type HeadLoss,
} from './base.ts';

export type { FocalArgs } from './options.ts';

export class FocalLoss implements HeadLoss {
  readonly name = 'focal';
  readonly gamma: number;
  readonly alpha: number;
  readonly labelSmoothing: number;
  constructor(args: FocalArgs = {}) {
    this.gamma = checkRange(this.name, 'gamma', args.gamma ?? 2, 0, 100);
    this.alpha = checkRange(this.name, 'alpha', args.alpha ?? 0.25, 0, 1);
    this.labelSmoothing = checkRange(this.name, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.999);
  }
  call(logits: tf.Tensor2D, labels: tf.Tensor1D, head: HeadInfo, sampleWeights?: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const y = targets(labels, head, this.labelSmoothing);
      const p = probabilities(logits, head);
      const { logP, log1mP } = logProbs(logits, head);
      const pos = y.mul(focusing(tf.sub(1, p), this.gamma)).mul(logP);
      let el: tf.Tensor;
      if (head.kind === 'softmax') el = pos;
      else
        el = pos.mul(this.alpha).add(
          tf
            .sub(1, y)
            .mul(focusing(p, this.gamma))
            .mul(log1mP)
            .mul(1 - this.alpha),
        );
      return reduceMasked(tf.neg(tf.sum(el, -1)) as tf.Tensor1D, labels, head, sampleWeights);
    });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, gamma: this.gamma, alpha: this.alpha, labelSmoothing: this.labelSmoothing };
  }
}
