/**
 * Calibration of a head's decisions: expected calibration error and the reliability diagram's
 * bins, after Guo et al., "On Calibration of Modern Neural Networks" (ICML 2017), eq. 3:
 *
 *   ECE = Σ_m |B_m|/n · |acc(B_m) − conf(B_m)|
 *
 * over M equal-width confidence bins B_m = ((m−1)/M, m/M] (the first also takes 0). The
 * confidence of a sample is the probability of the predicted class (top-label calibration: the
 * max softmax probability, or p / 1 − p for a binary head), correct = prediction equals the known
 * label; labels -1 are left out. Maximum calibration error (MCE) is the largest bin gap.
 */

export interface CalibrationBin {
  /** Lower and upper edge of the bin. */
  lo: number;
  hi: number;
  /** Samples whose confidence falls in the bin. */
  count: number;
  /** Mean confidence in the bin (null when empty). */
  confidence: number | null;
  /** Share correct in the bin (null when empty). */
  accuracy: number | null;
}

export interface Calibration {
  /** Expected calibration error; null without a labelled sample. */
  ece: number | null;
  /** Maximum calibration error over non-empty bins; null without a labelled sample. */
  mce: number | null;
  bins: CalibrationBin[];
}

/**
 * ECE, MCE and the bins.
 * @param confidence probability of the predicted class per sample.
 * @param correct 1 when the prediction is right, 0 when wrong, -1 when the label is unknown.
 * @param bins number of equal-width bins. Defaults to 15 (Guo et al.).
 */
export function calibration(confidence: ArrayLike<number>, correct: ArrayLike<number>, bins = 15): Calibration {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`calibration bins must be a positive integer, received ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  let n = 0;
  for (let i = 0; i < confidence.length; i++) {
    if (correct[i]! < 0) continue;
    const c = confidence[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]!++;
    conf[b]! += c;
    right[b]! += correct[i]! > 0 ? 1 : 0;
    n++;
  }
  let ece = 0;
  let mce = 0;
  const out: CalibrationBin[] = count.map((k, b) => {
    if (!k) return { lo: b / bins, hi: (b + 1) / bins, count: 0, confidence: null, accuracy: null };
    const gap = Math.abs(right[b]! / k - conf[b]! / k);
    ece += (k / n) * gap;
    mce = Math.max(mce, gap);
    return { lo: b / bins, hi: (b + 1) / bins, count: k, confidence: conf[b]! / k, accuracy: right[b]! / k };
  });
  return { ece: n ? ece : null, mce: n ? mce : null, bins: out };
}
