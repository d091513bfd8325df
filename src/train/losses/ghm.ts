/**
 * GHM-C, the gradient harmonizing classification loss (Li, Liu & Wang 2019, "Gradient Harmonized
 * Single-stage Detector", AAAI). Each valid sample's gradient norm g = |p − y| (sigmoid head; for a
 * softmax head ½Σ_k|p_k − y_k|, which is 1 − p_true for one-hot targets) falls into one of `bins`
 * equal bins on [0, 1]. With tot valid samples, a bin holding `count` of them gets weight
 * tot / count (or tot / EMA(count) with `momentum` > 0, updated only for non-empty bins), divided by
 * the number of non-empty bins; the loss is Σ w_i · CE_i / tot. The weights are computed as
 * constants outside the gradient, empty bins are skipped.
 *
 * Porting note (EMA start): the paper's S_j ← α·S_j + (1 − α)·R_j and mmdetection's GHMC start S at
 * 0, so the first time a bin fills its count is read as (1 − α)·R — at α = 0.75 a bin's first
 * samples weigh 4× what their density says, and a bin that fills only now and then stays inflated.
 * With a batch of 32 and 10 bins (one head of a plate model), that is one or two samples taking
 * most of the loss whenever they cross into a new bin. We divide by 1 − α^k, k = the bin's updates
 * so far (Adam's bias correction), so the EMA is an unbiased count from its first update;
 * `biasCorrection: false` gives the uncorrected form.
 *
 * `frozen()` gives a view for validation that reads the EMA without updating it, so evaluating
 * does not move the training statistics.
 */
import type { GhmArgs } from './options.ts';
import { tf } from '../../engine/tf.ts';
import { checkRange, probabilities, reduceMasked, targets, validMask, type HeadInfo, type HeadLoss } from './base.ts';
import { crossEntropyPerSample } from './crossentropy.ts';

export type { GhmArgs } from './options.ts';

export class GhmLoss implements HeadLoss {
  readonly name = 'ghm';
  readonly bins: number;
  readonly momentum: number;
  readonly labelSmoothing: number;
  readonly biasCorrection: boolean;
  /** EMA of the bin counts, per head index. */
  private acc = new Map<number, number[]>();
  /** Updates of each bin's EMA so far, per head index. */
  private updates = new Map<number, number[]>();
  /** False for a `frozen()` view. */
  private learn = true;

  constructor(args: GhmArgs = {}) {
    this.bins = checkRange(this.name, 'bins', args.bins ?? 10, 1, 10000);
    if (!Number.isInteger(this.bins))
      throw new RangeError(`ghm: option "bins" must be an integer, received ${this.bins}`);
    this.momentum = checkRange(this.name, 'momentum', args.momentum ?? 0.75, 0, 0.999);
    this.labelSmoothing = checkRange(this.name, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.999);
    this.biasCorrection = args.biasCorrection ?? true;
  }

  /** A view sharing this loss's EMA (read only): for validation passes. */
  frozen(): GhmLoss {
    const view = new GhmLoss({
      bins: this.bins,
      momentum: this.momentum,
      labelSmoothing: this.labelSmoothing,
      biasCorrection: this.biasCorrection,
    });
    view.acc = this.acc;
    view.updates = this.updates;
    view.learn = false;
    return view;
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
    let k = this.updates.get(headIndex);
    if (!acc || !k) {
      acc = new Array<number>(this.bins).fill(0);
      k = new Array<number>(this.bins).fill(0);
      if (this.learn) {
        this.acc.set(headIndex, acc);
        this.updates.set(headIndex, k);
      }
    }
    let nonEmpty = 0;
    const binWeight = new Array<number>(this.bins).fill(0);
    for (let b = 0; b < this.bins; b++) {
      if (counts[b] === 0) continue;
      nonEmpty++;
      if (this.momentum > 0) {
        let a = this.momentum * acc[b]! + (1 - this.momentum) * counts[b]!;
        let n = k[b]! + 1;
        if (this.learn) {
          acc[b] = a;
          k[b] = n;
        } else if (k[b]! > 0) {
          // read only: the EMA as it stands (a bin training never saw uses this batch's count)
          a = acc[b]!;
          n = k[b]!;
        }
        binWeight[b] = tot / (this.biasCorrection ? a / (1 - this.momentum ** n) : a);
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
      const w = this.weights(
        gT.dataSync() as Float32Array,
        validMask(labels).dataSync() as Float32Array,
        head.index ?? 0,
      );
      const weights = sampleWeights ? (tf.mul(tf.tensor1d(w), sampleWeights) as tf.Tensor1D) : tf.tensor1d(w);
      return reduceMasked(crossEntropyPerSample(logits, labels, head, this.labelSmoothing), labels, head, weights);
    });
  }

  /** `{ <head>: { acc, updates } }`. */
  getState(): unknown {
    return Object.fromEntries(
      [...this.acc].map(([h, v]) => [h, { acc: [...v], updates: [...(this.updates.get(h) ?? v.map(() => 0))] }]),
    );
  }
  /** Accepts getState()'s form and the older `{ <head>: acc[] }` (updates then counted as many, i.e. no correction). */
  setState(state: unknown): void {
    this.acc = new Map();
    this.updates = new Map();
    for (const [h, v] of Object.entries(
      (state ?? {}) as Record<string, number[] | { acc: number[]; updates: number[] }>,
    )) {
      const acc = Array.isArray(v) ? [...v] : [...v.acc];
      this.acc.set(Number(h), acc);
      this.updates.set(Number(h), Array.isArray(v) ? acc.map((a) => (a > 0 ? 1e6 : 0)) : [...v.updates]);
    }
  }
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      bins: this.bins,
      momentum: this.momentum,
      labelSmoothing: this.labelSmoothing,
      biasCorrection: this.biasCorrection,
    };
  }
}
