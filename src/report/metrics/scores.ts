/**
 * The scores a classification report adds beyond accuracy and F1, as scikit-learn defines them
 * (sklearn.metrics, version 1.2): top-k accuracy (`top_k_accuracy_score`), balanced accuracy
 * (`balanced_accuracy_score`: the mean recall over the classes that occur), Matthews correlation
 * (`matthews_corrcoef`, the multiclass R_K of Gorodkin 2004), log-loss (`log_loss`, probabilities
 * clipped to [eps, 1 − eps] with the float64 eps) and the Brier score (`brier_score_loss` for a
 * binary head; for a softmax head the multiclass Brier score of Brier 1950: the mean over samples
 * of Σ_k (p_k − [y = k])²), and the most-confused class pairs of a confusion matrix. Labels −1
 * (unknown) are left out everywhere; a score with no known sample is null.
 */

const EPS = 2.220446049250313e-16; // numpy.finfo(float64).eps, sklearn's clip for log_loss

/**
 * Share of known samples whose label is among the `k` most probable classes (N × K probabilities,
 * row-major). A class tied with the k-th counts as in (ties are measure-zero with real scores).
 */
export function topKAccuracy(probs: ArrayLike<number>, labels: ArrayLike<number>, K: number, k: number): number | null {
  return meanOverKnown(labels, (i, y) => {
    const py = probs[i * K + y]!;
    let above = 0;
    for (let c = 0; c < K; c++) if (probs[i * K + c]! > py) above++;
    return above < k ? 1 : 0;
  });
}

/** Mean recall over the classes that occur in the labels (`confusion[true][pred]`). */
export function balancedAccuracy(confusion: readonly (readonly number[])[]): number | null {
  const recalls: number[] = [];
  confusion.forEach((row, t) => {
    const support = row.reduce((a, b) => a + b, 0);
    if (support > 0) recalls.push(row[t]! / support);
  });
  return recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : null;
}

/**
 * Matthews correlation coefficient from `confusion[true][pred]`:
 * (c·s − Σ_k p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)), c correct, s samples, p_k predicted and t_k
 * true counts of class k; 0 when a factor of the denominator is 0 (as sklearn).
 */
export function matthewsCorrcoef(confusion: readonly (readonly number[])[]): number | null {
  const K = confusion.length;
  let s = 0;
  let c = 0;
  const t = new Array<number>(K).fill(0);
  const p = new Array<number>(K).fill(0);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const v = confusion[i]![j]!;
      s += v;
      t[i]! += v;
      p[j]! += v;
      if (i === j) c += v;
    }
  }
  if (s === 0) return null;
  const pt = p.reduce((a, v, k) => a + v * t[k]!, 0);
  const pp = p.reduce((a, v) => a + v * v, 0);
  const tt = t.reduce((a, v) => a + v * v, 0);
  const den = Math.sqrt((s * s - pp) * (s * s - tt));
  return den === 0 ? 0 : (c * s - pt) / den;
}

/** p(true class) of sample i: column y of a softmax row, or p / 1 − p of a binary head (units 1). */
function pTrue(probs: ArrayLike<number>, units: number, i: number, y: number): number {
  return units === 1 ? (y === 1 ? probs[i]! : 1 - probs[i]!) : probs[i * units + y]!;
}

/** Mean of `term(i, y)` over the known samples (label ≥ 0); null when there are none. */
function meanOverKnown(labels: ArrayLike<number>, term: (i: number, y: number) => number): number | null {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    count++;
    sum += term(i, y);
  }
  return count ? sum / count : null;
}

/** Mean −log p(true class) over known samples, p clipped to [eps, 1 − eps]. */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>, units: number): number | null {
  return meanOverKnown(labels, (i, y) => -Math.log(Math.min(1 - EPS, Math.max(EPS, pTrue(probs, units, i, y)))));
}

/**
 * Brier score over known samples: binary head (units 1) mean (p − y)²; softmax head mean over
 * samples of Σ_k (p_k − [y = k])² (0 perfect, 2 worst).
 */
export function brierScore(probs: ArrayLike<number>, labels: ArrayLike<number>, units: number): number | null {
  return meanOverKnown(labels, (i, y) => {
    if (units === 1) return (probs[i]! - y) ** 2;
    let sq = 0;
    for (let k = 0; k < units; k++) sq += (probs[i * units + k]! - (k === y ? 1 : 0)) ** 2;
    return sq;
  });
}

/** A confused pair: `count` samples of class `true` predicted as `pred`. */
export interface ConfusedPair {
  true: string;
  pred: string;
  count: number;
  /** count / samples of class `true`. */
  rate: number;
}

/** The `n` largest off-diagonal cells of `confusion[true][pred]`, most first (ties: row, then column order). */
export function mostConfused(
  confusion: readonly (readonly number[])[],
  classes: readonly string[],
  n = 5,
): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  confusion.forEach((row, t) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((v, p) => {
      if (p !== t && v > 0)
        pairs.push({ true: classes[t] ?? String(t), pred: classes[p] ?? String(p), count: v, rate: v / support });
    });
  });
  return pairs.sort((a, b) => b.count - a.count).slice(0, n);
}
