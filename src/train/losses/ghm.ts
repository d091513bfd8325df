/**
 * GHM-C, the gradient harmonizing classification loss (Li, Liu & Wang 2019, "Gradient Harmonized
 * Single-stage Detector", AAAI). Each valid sample's gradient norm g = |p − y| (sigmoid head; for a
 * softmax head ½Σ_k|p_k − y_k|, which is 1 − p_true for one-hot targets) falls into one of `bins`
 * equal bins on [0, 1]. With tot valid samples, a bin holding `count` of them gets weight
 * tot / count (or tot / EMA(count) with `momentum` > 0, updated only for non-empty bins), divided by
 * the number of non-empty bins; the loss is Σ w_i · CE_i / tot. The weights are computed as
 * constants outside the gradient, empty bins are skipped.
 */
import { tf } from '../../engine/tf.ts';
import { checkRange, probabilities, reduceMasked, targets, validMask, type HeadInfo, type HeadLoss } from './base.ts';
import { crossEntropyPerSample } from './crossentropy.ts';

export interface GhmArgs {
  /** Number of gradient-norm bins. Defaults to 10. */
  bins?: number;
  /** EMA momentum of the bin counts (0 = use this batch's counts). Defaults to 0.75. */
  momentum?: number;
  /** Label smoothing ε. Defaults to 0. */
  labelSmoothing?: number;
}

export class GhmLoss implements HeadLoss {
  readonly name = 'ghm';
  readonly bins: number;
  readonly momentum: number;
  readonly labelSmoothing: number;
  /** EMA of the bin counts, per head index. */
  private acc = new Map<number, number[]>();

  constructor(args: GhmArgs = {}) {
    this.bins = checkRange(this.name, 'bins', args.bins ?? 10, 1, 10000);
    if (!Number.isInteger(this.bins)) throw new RangeError(`ghm: option "bins" must be an integer, received ${this.bins}`);
    this.momentum = checkRange(this.name, 'momentum', args.momentum ?? 0.75, 0, 0.999);
    this.labelSmoothing = checkRange(this.name, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.999);
  }

  /** Per-sample weights (constants) for gradient norms `g` and validity `mask`; updates the EMA. */
  weights(g: Float32Array, mask: Float32Array, headIndex = 0): Float32Array {
    const counts = new Array<number>(this.bins).fill(0);
    const bin = new Int32Array(g.length);
    let tot = 0;
    for (let i = 0; i < g.length; i++) {
      if (mask[i]! <= 0) continue;
      tot++;
      bin[i] = Math.min(this.bins - 1, Math.floor(g[i]! * this.bins));
      counts[bin[i]!]!++;
    }
    const w = new Float32Array(g.length);
    if (tot === 0) return w;
    let acc = this.acc.get(headIndex);
    if (!acc) this.acc.set(headIndex, (acc = new Array<number>(this.bins).fill(0)));
    let nonEmpty = 0;
    const binWeight = new Array<number>(this.bins).fill(0);
    for (let b = 0; b < this.bins; b++) {
      if (counts[b] === 0) continue;
      nonEmpty++;
      if (this.momentum > 0) {
        acc[b] = this.momentum * acc[b]! + (1 - this.momentum) * counts[b]!;
        binWeight[b] = tot / acc[b]!;
      } else binWeight[b] = tot / counts[b]!;
    }
    for (let i = 0; i < g.length; i++) if (mask[i]! > 0) w[i] = binWeight[bin[i]!]! / nonEmpty;
    return w;
  }

  call(logits: tf.Tensor2D, labels: tf.Tensor1D, head: HeadInfo, sampleWeights?: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const y = targets(labels, head, this.labelSmoothing);
      const gT = tf.tidy(() => {
        const d = tf.abs(tf.sub(probabilities(logits, head), y));
        return head.kind === 'softmax' ? tf.sum(d, -1).mul(0.5) : d.reshape([-1]);
      });
      const w = this.weights(gT.dataSync() as Float32Array, validMask(labels).dataSync() as Float32Array, head.index ?? 0);
      const weights = sampleWeights ? tf.mul(tf.tensor1d(w), sampleWeights) as tf.Tensor1D : tf.tensor1d(w);
      return reduceMasked(crossEntropyPerSample(logits, labels, head, this.labelSmoothing), labels, head, weights);
    });
  }

  getState(): unknown {
    return Object.fromEntries([...this.acc].map(([k, v]) => [k, [...v]]));
  }
  setState(state: unknown): void {
    this.acc = new Map(Object.entries((state ?? {}) as Record<string, number[]>).map(([k, v]) => [Number(k), [...v]]));
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, bins: this.bins, momentum: this.momentum, labelSmoothing: this.labelSmoothing };
  }
}
