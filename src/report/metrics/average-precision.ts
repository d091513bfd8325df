/**
 * Average precision of one binary class, as scikit-learn's `average_precision_score` defines it
 * (formula ported, not code): scores are cut at every DISTINCT value, from the highest down; at each
 * cut n, P_n and R_n are the precision and recall of "score ≥ cut", and
 *
 *   AP = Σ_n (R_n − R_{n−1}) · P_n,   R_0 = 0.
 *
 * Tied scores form one cut (no interpolation, no arbitrary order among ties). Labels -1 are left out.
 */

/** One point of the precision–recall curve, at a distinct score threshold. */
export interface PrPoint {
  /** Samples with score ≥ threshold count as positive. */
  threshold: number;
  precision: number;
  recall: number;
  /** True positives at this threshold. */
  tp: number;
  /** False positives at this threshold. */
  fp: number;
}

/** Scores and 0/1 labels of the samples whose label is known (≠ -1). */
export function knownPairs(scores: ArrayLike<number>, labels: ArrayLike<number>): { s: number[]; y: number[] } {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores and labels differ in length: ${scores.length} vs ${labels.length}`);
  }
  const s: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    s.push(scores[i]!);
    y.push(l > 0 ? 1 : 0);
  }
  return { s, y };
}

/** Counts of "score ≥ threshold" at one distinct score. */
export interface ThresholdCounts {
  threshold: number;
  tp: number;
  fp: number;
}

/**
 * True and false positives of "score ≥ t" at every distinct known score t, highest first (tied
 * scores form one cut), with the totals of positives and negatives: what PR and ROC curves share.
 */
export function thresholdCounts(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): { cuts: ThresholdCounts[]; positives: number; negatives: number } {
  const { s, y } = knownPairs(scores, labels);
  const order = s.map((_, i) => i).sort((a, b) => s[b]! - s[a]!);
  const positives = y.reduce((a, b) => a + b, 0);
  const cuts: ThresholdCounts[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && s[next] === s[i]) continue; // ties: one threshold for all of them
    cuts.push({ threshold: s[i]!, tp, fp });
  }
  return { cuts, positives, negatives: y.length - positives };
}

/**
 * The precision–recall curve at every distinct score, highest threshold first. Empty when no label
 * is known; recall is NaN when there is no positive.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrPoint[] {
  const { cuts, positives } = thresholdCounts(scores, labels);
  return cuts.map(({ threshold, tp, fp }) => ({
    threshold,
    precision: tp / (tp + fp),
    recall: positives ? tp / positives : NaN,
    tp,
    fp,
  }));
}

/**
 * sklearn-style average precision of one class. Returns `null` when the class has no positive
 * among the known labels (sklearn warns and returns an ill-defined value there; we leave it out of mAP).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const curve = precisionRecallCurve(scores, labels);
  if (curve.length === 0 || Number.isNaN(curve[0]!.recall)) return null;
  let ap = 0;
  let prevRecall = 0;
  for (const p of curve) {
    ap += (p.recall - prevRecall) * p.precision;
    prevRecall = p.recall;
  }
  return ap;
}
