/**
 * Asymmetric loss (Ridnik et al. 2021, "Asymmetric Loss For Multi-Label Classification"),
 * elementwise over the head's units:
 *   −[ y (1−p)^γ+ log p + (1−y) p_m^γ− log(1−p_m) ],  p_m = max(p − clip, 0)
 * For softmax heads p is the softmax probability of each class (the paper's single-label variant
 * uses the same asymmetric focusing on softmax outputs).
 */
import type { AslArgs } from './options.ts';
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

export type { AslArgs } from './options.ts';

export class AsymmetricLoss implements HeadLoss {
  readonly name = 'asl';
  readonly gammaPos: number;
  readonly gammaNeg: number;
  readonly clip: number;
  readonly labelSmoothing: number;
  constructor(args: AslArgs = {}) {
    this.gammaPos = checkRange(this.name, 'gammaPos', args.gammaPos ?? 0, 0, 100);
    this.gammaNeg = checkRange(this.name, 'gammaNeg', args.gammaNeg ?? 4, 0, 100);
    this.clip = checkRange(this.name, 'clip', args.clip ?? 0.05, 0, 0.999);
    this.labelSmoothing = checkRange(this.name, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.999);
  }
  call(logits: tf.Tensor2D, labels: tf.Tensor1D, head: HeadInfo, sampleWeights?: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const y = targets(labels, head, this.labelSmoothing);
      const p = probabilities(logits, head);
      const { logP, log1mP } = logProbs(logits, head);
      const pm = this.clip > 0 ? tf.maximum(tf.sub(p, this.clip), 0) : p;
      // log(1 − p_m): exact log1mP when there is no shift, else from the shifted probability.
      const log1mPm = this.clip > 0 ? tf.log(tf.maximum(tf.sub(1, pm), 1e-12)) : log1mP;
      const pos = y.mul(focusing(tf.sub(1, p), this.gammaPos)).mul(logP);
      const neg = tf.sub(1, y).mul(focusing(pm, this.gammaNeg)).mul(log1mPm);
      return reduceMasked(tf.neg(tf.sum(pos.add(neg), -1)) as tf.Tensor1D, labels, head, sampleWeights);
    });
  }
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      gammaPos: this.gammaPos,
      gammaNeg: this.gammaNeg,
      clip: this.clip,
      labelSmoothing: this.labelSmoothing,
    };
  }
}
