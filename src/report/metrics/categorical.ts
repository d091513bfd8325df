/**
 * Per-head predictions and the metrics of the seed project's evaluation: accuracy per head,
 * all-heads accuracy, confusion matrices and the confidence analysis (`base_confidence`).
 * Pure functions over typed arrays; labels -1 (unknown) are left out everywhere.
 */

/** A head's decisions: predicted class per sample and the probability of that decision. */
export interface HeadPrediction {
  /** Predicted class: argmax for a softmax head, 1 if p ≥ threshold else 0 for a binary head. */
  pred: Int32Array;
  /** Probability of the predicted class: max softmax prob, or p / 1 − p for a binary head. */
  conf: Float64Array;
}

/**
 * Decisions of one head from its probabilities (N × units, row-major).
 * @param units K for softmax heads, 1 for binary heads.
 * @param threshold binary heads only: positive when p ≥ threshold. Defaults to 0.5.
 */
export function headPrediction(probs: ArrayLike<number>, units: number, threshold = 0.5): HeadPrediction {
  const N = Math.floor(probs.length / units);
  const pred = new Int32Array(N);
  const conf = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    if (units === 1) {
      const p = probs[i]!;
      pred[i] = p >= threshold ? 1 : 0;
      conf[i] = pred[i] ? p : 1 - p;
      continue;
    }
    let best = 0;
    for (let k = 1; k < units; k++) if (probs[i * units + k]! > probs[i * units + best]!) best = k;
    pred[i] = best;
    conf[i] = probs[i * units + best]!;
  }
  return { pred, conf };
}

/** Column `head` of an N × heads label matrix. */
export function labelColumn(labels: ArrayLike<number>, heads: number, head: number): Int32Array {
  const N = Math.floor(labels.length / heads);
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) out[i] = labels[i * heads + head]!;
  return out;
}

export interface AccuracyResult {
  /** Correct among `count`. */
  correct: number;
  /** Samples with a known label. */
  count: number;
  /** correct / count, or null when count is 0. */
  accuracy: number | null;
}

export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): AccuracyResult {
  let correct = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0) continue;
    count++;
    if (pred[i] === labels[i]) correct++;
  }
  return { correct, count, accuracy: count ? correct / count : null };
}

/** K × K counts, `m[true][pred]`, over samples with a known label. */
export function confusionMatrix(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number): number[][] {
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    m[y]![pred[i]!]!++;
  }
  return m;
}

/**
 * Share of samples whose every known head is right. Samples whose labels are all -1 are left out.
 * @param preds per head, predicted class per sample.
 * @param labels per head, label per sample.
 */
export function allHeadsAccuracy(preds: ArrayLike<number>[], labels: ArrayLike<number>[]): AccuracyResult {
  const N = labels[0]?.length ?? 0;
  let correct = 0;
  let count = 0;
  for (let i = 0; i < N; i++) {
    let known = false;
    let right = true;
    for (let h = 0; h < labels.length; h++) {
      const y = labels[h]![i]!;
      if (y < 0) continue;
      known = true;
      if (preds[h]![i] !== y) right = false;
    }
    if (!known) continue;
    count++;
    if (right) correct++;
  }
  return { correct, count, accuracy: count ? correct / count : null };
}

export interface ConfidenceResult {
  /** The base_confidence threshold used. */
  threshold: number;
  /** Samples (with ≥ 1 known head) whose every known head has conf ≥ threshold. */
  count: number;
  /** count / samples with ≥ 1 known head (null when there are none). */
  fraction: number | null;
  /** Confident samples with at least one known head wrong. */
  wrong: number;
  /** wrong / count, or null when count is 0. */
  errorRate: number | null;
  /** Sample indices of the confident wrong samples, in input order. */
  wrongIndices: number[];
}

/**
 * The seed's confidence analysis: how many samples the model is sure of (every known head's
 * decision probability ≥ `threshold`), and how often it is wrong on them.
 */
export function confidenceAnalysis(
  predictions: HeadPrediction[],
  labels: ArrayLike<number>[],
  threshold: number,
): ConfidenceResult {
  const N = labels[0]?.length ?? 0;
  let known = 0;
  let count = 0;
  const wrongIndices: number[] = [];
  for (let i = 0; i < N; i++) {
    let any = false;
    let sure = true;
    let right = true;
    for (let h = 0; h < labels.length; h++) {
      const y = labels[h]![i]!;
      if (y < 0) continue;
      any = true;
      if (predictions[h]!.conf[i]! < threshold) sure = false;
      if (predictions[h]!.pred[i] !== y) right = false;
    }
    if (!any) continue;
    known++;
    if (!sure) continue;
    count++;
    if (!right) wrongIndices.push(i);
  }
  return {
    threshold,
    count,
    fraction: known ? count / known : null,
    wrong: wrongIndices.length,
    errorRate: count ? wrongIndices.length / count : null,
    wrongIndices,
  };
}
