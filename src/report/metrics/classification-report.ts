/**
 * Per-class precision, recall, F1 and support of one head, with macro and weighted averages:
 * what scikit-learn's `classification_report(y_true, y_pred, output_dict=True)` gives (formulas
 * ported, not code). For class c, with tp/fp/fn counted over the samples whose label is known:
 *
 *   precision = tp / (tp + fp),  recall = tp / (tp + fn),  F1 = 2·P·R / (P + R),  support = tp + fn
 *
 * A ratio with a zero denominator is 0 (sklearn's `zero_division` default, minus its warning).
 * Porting note: the averages run over the classes that occur in the labels or the predictions
 * (sklearn's `unique_labels(y_true, y_pred)` when `labels` is not given), so a 64-class head
 * evaluated on a split holding 12 of its classes is not pulled down by 52 absent ones; every
 * class is still listed. macro = plain mean; weighted = mean weighted by support.
 */

/** Scores of one class (or an average). */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Samples whose true label is this class (for an average: all samples averaged over). */
  support: number;
}

export interface ClassificationReport {
  /** Per class name, in the head's class order. */
  classes: Record<string, ClassScores>;
  /** correct / labelled samples, or null without labels. */
  accuracy: number | null;
  'macro avg': ClassScores;
  'weighted avg': ClassScores;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * The report of one head from its decisions.
 * @param pred predicted class per sample (0..K-1).
 * @param labels true class per sample; -1 (unknown) is left out.
 * @param classes the K class names, index = class id.
 */
export function classificationReport(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: string[],
): ClassificationReport {
  const K = classes.length;
  const tp = new Array<number>(K).fill(0);
  const predicted = new Array<number>(K).fill(0);
  const support = new Array<number>(K).fill(0);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    const p = pred[i]!;
    n++;
    support[y]!++;
    predicted[p]!++;
    if (p === y) tp[y]!++;
  }
  const per: ClassScores[] = classes.map((_, c) => {
    const precision = ratio(tp[c]!, predicted[c]!);
    const recall = ratio(tp[c]!, support[c]!);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support: support[c]! };
  });
  const present = per.map((_, c) => c).filter((c) => support[c]! > 0 || predicted[c]! > 0);
  const avg = (weight: (c: number) => number): ClassScores => {
    const total = present.reduce((a, c) => a + weight(c), 0);
    const mean = (k: 'precision' | 'recall' | 'f1') =>
      ratio(
        present.reduce((a, c) => a + weight(c) * per[c]![k], 0),
        total,
      );
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: n };
  };
  return {
    classes: Object.fromEntries(classes.map((name, c) => [name, per[c]!])),
    accuracy: n ? tp.reduce((a, b) => a + b, 0) / n : null,
    'macro avg': avg(() => 1),
    'weighted avg': avg((c) => support[c]!),
  };
}
