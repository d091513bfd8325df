/**
 * The training objective over all heads: Σ_h lossWeight_h · loss(logits_h, labels_h), each head's
 * loss masked and class-weighted (./base.ts). Returns the total and the per-head terms.
 */
import { tf } from '../../engine/tf.ts';
import { headKind, headUnits, type HeadSpec } from '../../data/heads.ts';
import type { HeadInfo, HeadLoss } from './base.ts';

export interface MultiHeadLossOptions {
  /** Weight of each head's loss. Defaults to 1 per head. */
  lossWeights?: number[];
  /** Class weights per head (null = none). Defaults to none. */
  classWeights?: Array<number[] | null>;
}

export function headInfos(heads: HeadSpec[], classWeights?: Array<number[] | null>): HeadInfo[] {
  return heads.map((h, i) => ({
    kind: headKind(h),
    units: headUnits(h),
    classWeights: classWeights?.[i] ?? undefined,
    index: i,
  }));
}

/** Column `h` of labels laid out N×heads row-major. */
export function labelColumn(labels: Int32Array, heads: number, h: number): Int32Array {
  const n = labels.length / heads;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = labels[i * heads + h]!;
  return out;
}

/** Mixup partner labels (per head) and λ per image: the loss becomes λ·L(labels) + (1 − λ)·L(partner). */
export interface MixTargets {
  lambda: tf.Tensor1D;
  labels: tf.Tensor1D[];
}

/**
 * Per-step factors of each head's loss term, for its labels and for the mixup partners' labels (1
 * where absent): a data-parallel rank's share of the global batch's masked means
 * (../distributed/shard.ts).
 */
export interface HeadScales {
  labels?: number[];
  mix?: number[];
}

const scaled = (l: tf.Scalar, f: number | undefined) => (f === undefined || f === 1 ? l : (l.mul(f) as tf.Scalar));

export function multiHeadLoss(
  loss: HeadLoss,
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D[],
  infos: HeadInfo[],
  options: MultiHeadLossOptions = {},
  mix?: MixTargets,
  scales?: HeadScales,
): { total: tf.Scalar; perHead: tf.Scalar[] } {
  const perHead = infos.map((info, h) => {
    const own = scaled(loss.call(logits[h]!, labels[h]!, info, mix?.lambda), scales?.labels?.[h]);
    if (!mix) return own;
    const partner = loss.call(logits[h]!, mix.labels[h]!, info, tf.sub(1, mix.lambda) as tf.Tensor1D);
    return tf.add(own, scaled(partner, scales?.mix?.[h])) as tf.Scalar;
  });
  // One AddN over the weighted terms (a weight of 1 adds the term itself): the same sum, in the same
  // order, as adding them one by one to 0, at one kernel instead of two per head (and their gradients).
  const terms = perHead.map((l, h) => {
    const w = options.lossWeights?.[h] ?? 1;
    return w === 1 ? l : (l.mul(w) as tf.Scalar);
  });
  const total =
    terms.length === 0 ? tf.scalar(0) : terms.length === 1 ? terms[0]!.clone() : (tf.addN(terms) as tf.Scalar);
  return { total, perHead };
}

/** `balanced` class weights n / (k · count_c) from a head's labels (k = classes, 2 for a binary head; -1 ignored; empty classes get 0). */
export function balancedClassWeights(column: ArrayLike<number>, head: HeadSpec): number[] {
  const k = head.classes.length === 1 ? 2 : head.classes.length;
  const counts = new Array<number>(k).fill(0);
  let n = 0;
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    if (v < 0 || v >= k) continue;
    counts[v]!++;
    n++;
  }
  return counts.map((c) => (c === 0 ? 0 : n / (k * c)));
}
