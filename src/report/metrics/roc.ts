/**
 * ROC curve and the area under it for one binary problem, as scikit-learn's `roc_curve` and
 * `roc_auc_score` define them (formulas ported, not code): scores are cut at every DISTINCT value
 * from the highest down, each cut giving (FPR, TPR) of "score ≥ cut", starting at (0, 0); the AUC
 * is the trapezoidal area under those points, so tied scores count half (the Mann–Whitney U
 * statistic). Labels -1 are left out. One-vs-rest for a softmax head: class c's scores against
 * "label = c" (see `oneVsRest`).
 */
import { averagePrecision, precisionRecallCurve, thresholdCounts, type PrPoint } from './average-precision.ts';

export interface RocPoint {
  /** Samples with score ≥ threshold count as positive (Infinity for the (0, 0) start). */
  threshold: number;
  fpr: number;
  tpr: number;
}

/** The ROC points; empty unless both a positive and a negative label are known. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  const { cuts, positives: P, negatives: N } = thresholdCounts(scores, labels);
  if (P === 0 || N === 0) return [];
  return [
    { threshold: Infinity, fpr: 0, tpr: 0 },
    ...cuts.map(({ threshold, tp, fp }) => ({ threshold, fpr: fp / N, tpr: tp / P })),
  ];
}

/** Trapezoidal area under ROC points; null when the curve is empty (one class only). */
export function aucOf(points: RocPoint[]): number | null {
  if (points.length === 0) return null;
  let area = 0;
  for (let k = 1; k < points.length; k++)
    area += ((points[k]!.fpr - points[k - 1]!.fpr) * (points[k]!.tpr + points[k - 1]!.tpr)) / 2;
  return area;
}

/** sklearn `roc_auc_score` of one binary problem; null without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  return aucOf(rocCurve(scores, labels));
}

/** One class's one-vs-rest curves and areas. */
export interface OneVsRestClass {
  /** Samples labelled with this class. */
  positives: number;
  ap: number | null;
  auc: number | null;
  pr: PrPoint[];
  roc: RocPoint[];
}

export interface OneVsRest {
  /** Per class, in class order. */
  classes: OneVsRestClass[];
  /** Mean AP over classes with a positive; null when none. */
  macroAP: number | null;
  /** Mean AUC over classes with both a positive and a negative; null when none. */
  macroAUC: number | null;
}

const mean = (xs: Array<number | null>) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/**
 * One-vs-rest PR and ROC of a softmax head (probabilities N × K, row-major; labels -1 skipped).
 * macroAUC is sklearn's `roc_auc_score(multi_class='ovr', average='macro')` when every class is
 * present; absent classes are left out rather than raising.
 */
export function oneVsRest(probs: ArrayLike<number>, labels: ArrayLike<number>, K: number): OneVsRest {
  const N = labels.length;
  const classes: OneVsRestClass[] = [];
  for (let c = 0; c < K; c++) {
    const s = new Float64Array(N);
    const y = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      s[i] = probs[i * K + c]!;
      y[i] = labels[i]! < 0 ? -1 : labels[i] === c ? 1 : 0;
    }
    const roc = rocCurve(s, y);
    classes.push({
      positives: y.reduce((a, v) => a + (v > 0 ? 1 : 0), 0),
      ap: averagePrecision(s, y),
      auc: aucOf(roc),
      pr: precisionRecallCurve(s, y),
      roc,
    });
  }
  return { classes, macroAP: mean(classes.map((c) => c.ap)), macroAUC: mean(classes.map((c) => c.auc)) };
}
