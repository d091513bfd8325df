/**
 * One head's metrics and curves: a softmax head's accuracy, confusion matrix, classification report,
 * one-vs-rest areas, calibration and sklearn scores; a binary head's the same at p ≥ 0.5 plus its AP,
 * ROC AUC and, with tuned thresholds, its counts at the tuned threshold.
 */
import type { HeadSpec } from '../../data/heads.ts';
import { averagePrecision, precisionRecallCurve, type PrPoint } from './average-precision.ts';
import { calibration, type Calibration } from './calibration.ts';
import { accuracy, confusionMatrix, type AccuracyResult, type HeadPrediction } from './categorical.ts';
import { classificationReport, type ClassificationReport } from './classification-report.ts';
import type { ClassCounts } from './multilabel.ts';
import { oneVsRest, rocAuc, rocCurve, type RocPoint } from './roc.ts';
import {
  balancedAccuracy,
  brierScore,
  logLoss,
  matthewsCorrcoef,
  mostConfused,
  topKAccuracy,
  type ConfusedPair,
} from './scores.ts';

/** sklearn-defined scores of a head (scores.ts), over its known samples; null with none. */
export interface HeadScores {
  balancedAccuracy: number | null;
  /** Matthews correlation coefficient. */
  mcc: number | null;
  logLoss: number | null;
  brier: number | null;
}

/** The k of a softmax head's top-k accuracies: 2, 3 and 5, those below its class count. */
export const TOP_K = [2, 3, 5] as const;

/** One class's one-vs-rest areas (a softmax head's `ovr.classes`). */
export interface OvrClassMetrics {
  positives: number;
  /** Average precision of "this class vs the rest"; null without positives. */
  ap: number | null;
  /** ROC AUC of "this class vs the rest"; null unless both sides occur. */
  auc: number | null;
}

export interface SoftmaxHeadMetrics extends AccuracyResult {
  kind: 'softmax';
  classes: string[];
  /** `confusion[true][pred]` counts. */
  confusion: number[][];
  /** Per-class precision/recall/F1/support with macro and weighted averages (sklearn's classification_report). */
  report: ClassificationReport;
  /** One-vs-rest PR/ROC areas per class and their macro means. */
  ovr: { macroAP: number | null; macroAUC: number | null; classes: Record<string, OvrClassMetrics> };
  /** Top-label calibration (ECE, MCE, reliability bins). */
  calibration: Calibration;
  scores: HeadScores & { topk: Record<string, number | null> };
  /** The largest off-diagonal cells of the confusion matrix (up to 5). */
  mostConfused: ConfusedPair[];
}

export interface BinaryHeadMetrics extends AccuracyResult {
  kind: 'sigmoid';
  /** sklearn average precision; null without positives. */
  ap: number | null;
  positives: number;
  /** 2×2 counts at p ≥ 0.5. */
  counts: ClassCounts;
  /** Present when thresholds were tuned. */
  tuned?: { threshold: number; counts: ClassCounts };
  /** ROC AUC; null unless both positives and negatives are labelled. */
  auc: number | null;
  /** classification_report over the two classes `not <name>` and `<name>` at p ≥ 0.5. */
  report: ClassificationReport;
  /** Calibration of the decision at p ≥ 0.5 (confidence p or 1 − p). */
  calibration: Calibration;
  /** At p ≥ 0.5. */
  scores: HeadScores;
}

/** The curves behind a head's areas (kept out of metrics.json; the report draws them). */
export interface HeadCurves {
  /** One entry per class for a softmax head (one-vs-rest), one for a binary head. */
  pr: PrPoint[][];
  roc: RocPoint[][];
  /** Names of the curves: class names, or the head name for a binary head. */
  names: string[];
}

/** One head's predictions and labels. */
export interface HeadData {
  head: HeadSpec;
  /** N × units probabilities, row-major. */
  probs: Float32Array;
  /** The head's label column; -1 = unknown. */
  labels: Int32Array;
  pred: HeadPrediction;
  /** Equal-width confidence bins of the calibration. */
  bins: number;
}

/** Name of class `c` of a head (a binary head's 0 is "not <name>"). */
export function className(head: HeadSpec, c: number): string {
  if (head.classes.length === 1) return c === 1 ? head.classes[0]! : `not ${head.classes[0]}`;
  return head.classes[c] ?? String(c);
}

function calibrationOf(d: HeadData): Calibration {
  const correct = Int8Array.from(d.labels, (v, n) => (v < 0 ? -1 : d.pred.pred[n] === v ? 1 : 0));
  return calibration(d.pred.conf, correct, d.bins);
}

/** A softmax head's metrics and one-vs-rest curves. */
export function softmaxHeadMetrics(d: HeadData): { metrics: SoftmaxHeadMetrics; curves: HeadCurves } {
  const { head: h, probs, labels: y, pred } = d;
  const K = h.classes.length;
  const ovr = oneVsRest(probs, y, K);
  const confusion = confusionMatrix(pred.pred, y, K);
  const metrics: SoftmaxHeadMetrics = {
    kind: 'softmax',
    ...accuracy(pred.pred, y),
    classes: h.classes,
    confusion,
    scores: {
      balancedAccuracy: balancedAccuracy(confusion),
      mcc: matthewsCorrcoef(confusion),
      logLoss: logLoss(probs, y, K),
      brier: brierScore(probs, y, K),
      topk: Object.fromEntries(TOP_K.filter((k) => k < K).map((k) => [`top${k}`, topKAccuracy(probs, y, K, k)])),
    },
    mostConfused: mostConfused(confusion, h.classes),
    report: classificationReport(pred.pred, y, h.classes),
    ovr: {
      macroAP: ovr.macroAP,
      macroAUC: ovr.macroAUC,
      classes: Object.fromEntries(
        h.classes.map((name, c) => [
          name,
          { positives: ovr.classes[c]!.positives, ap: ovr.classes[c]!.ap, auc: ovr.classes[c]!.auc },
        ]),
      ),
    },
    calibration: calibrationOf(d),
  };
  return {
    metrics,
    curves: { pr: ovr.classes.map((c) => c.pr), roc: ovr.classes.map((c) => c.roc), names: h.classes },
  };
}

/** A binary head's metrics and curves; `counts` at p ≥ 0.5, `tuned` at its tuned threshold when there is one. */
export function binaryHeadMetrics(
  d: HeadData,
  counts: ClassCounts,
  tuned?: { threshold: number; counts: ClassCounts },
): { metrics: BinaryHeadMetrics; curves: HeadCurves } {
  const { head: h, probs, labels: y, pred } = d;
  const confusion = confusionMatrix(pred.pred, y, 2);
  const metrics: BinaryHeadMetrics = {
    kind: 'sigmoid',
    ...accuracy(pred.pred, y),
    ap: averagePrecision(probs, y),
    positives: counts.tp + counts.fn,
    counts,
    auc: rocAuc(probs, y),
    report: classificationReport(pred.pred, y, [className(h, 0), className(h, 1)]),
    calibration: calibrationOf(d),
    scores: {
      balancedAccuracy: balancedAccuracy(confusion),
      mcc: matthewsCorrcoef(confusion),
      logLoss: logLoss(probs, y, 1),
      brier: brierScore(probs, y, 1),
    },
    ...(tuned ? { tuned } : {}),
  };
  return { metrics, curves: { pr: [precisionRecallCurve(probs, y)], roc: [rocCurve(probs, y)], names: [h.name] } };
}
