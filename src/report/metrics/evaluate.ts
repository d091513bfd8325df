/**
 * All of a run's metrics from its predictions: the seed's categorical metrics for every head
 * (binary heads decide at p ≥ 0.5), and the multi-label family over the binary heads. The result
 * is what `metrics.json` holds; `mistakes` feeds `wrong.csv` and the report's thumbnails.
 */
import type { HeadSpec } from '../../data/heads.ts';
import { averagePrecision, precisionRecallCurve, type PrPoint } from './average-precision.ts';
import { calibration, type Calibration } from './calibration.ts';
import { classificationReport, type ClassificationReport } from './classification-report.ts';
import {
  accuracy,
  allHeadsAccuracy,
  confidenceAnalysis,
  confusionMatrix,
  headPrediction,
  labelColumn,
  type AccuracyResult,
  type HeadPrediction,
} from './categorical.ts';
import {
  classCounts,
  multilabelScores,
  thresholdPredictions,
  topKPredictions,
  type ClassCounts,
  type PrfScores,
} from './multilabel.ts';
import { oneVsRest, rocAuc, rocCurve, type RocPoint } from './roc.ts';
import { balancedAccuracy, brierScore, logLoss, matthewsCorrcoef, mostConfused, topKAccuracy, type ConfusedPair } from './scores.ts';

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

/** Predictions of a run, as `predictProbs` returns them, with the labels they are judged against. */
export interface EvaluationInput {
  heads: HeadSpec[];
  /** Per head: probabilities N × units (units = K, or 1 for a binary head), row-major. */
  probs: Float32Array[];
  /** N × heads labels, row-major; -1 = unknown. */
  labels: Int32Array;
  /** Image path of each sample (for the mistake lists). */
  paths: string[];
}

export interface EvaluationOptions {
  /** The seed's confidence threshold. Defaults to 0.9. */
  baseConfidence?: number;
  /** k of the top-k multi-label variant. Defaults to 3. */
  topK?: number;
  /** Tuned thresholds, one per binary head in head order (see `tuneThresholds`). Defaults to none. */
  thresholds?: number[];
  /** Equal-width confidence bins of the calibration error and reliability diagram. Defaults to 15. */
  calibrationBins?: number;
}

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

export interface MultilabelMetrics {
  /** Mean AP over binary heads with ≥ 1 positive; null when none has. */
  mAP: number | null;
  /** Binary heads averaged over. */
  classes: number;
  /** Scores at p ≥ 0.5. */
  threshold: PrfScores;
  /** Top-k variant (k = `topK`). */
  topk: PrfScores & { k: number };
  tuned?: PrfScores & { thresholds: Record<string, number> };
}

/** One head's verdict on one sample. */
export interface HeadVerdict {
  head: string;
  pred: string;
  true: string;
  /** Probability of the predicted class. */
  prob: number;
  ok: boolean;
}

export interface WrongSample {
  index: number;
  path: string;
  /** Highest probability among the wrong decisions: how sure the model was of its mistake. */
  score: number;
  /** Whether every known head was at or above base_confidence. */
  confident: boolean;
  heads: HeadVerdict[];
}

export interface Metrics {
  samples: number;
  allHeads: AccuracyResult;
  confidence: { threshold: number; count: number; fraction: number | null; wrong: number; errorRate: number | null };
  heads: Record<string, SoftmaxHeadMetrics | BinaryHeadMetrics>;
  multilabel?: MultilabelMetrics;
  /** The seed's list: confident samples with a wrong head, input order. */
  confidentWrong: WrongSample[];
}

/** The curves behind a head's areas (kept out of metrics.json; the report draws them). */
export interface HeadCurves {
  /** One entry per class for a softmax head (one-vs-rest), one for a binary head. */
  pr: PrPoint[][];
  roc: RocPoint[][];
  /** Names of the curves: class names, or the head name for a binary head. */
  names: string[];
}

export interface Evaluation {
  metrics: Metrics;
  /** PR and ROC curves per head name. */
  curves: Record<string, HeadCurves>;
  /** Every sample with a wrong known head, most confident mistake first. */
  mistakes: WrongSample[];
}

/** Name of class `c` of a head (a binary head's 0 is "not <name>"). */
export function className(head: HeadSpec, c: number): string {
  if (head.classes.length === 1) return c === 1 ? head.classes[0]! : `not ${head.classes[0]}`;
  return head.classes[c] ?? String(c);
}

/** Computes every metric; see the module comment. */
export function evaluatePredictions(input: EvaluationInput, options: EvaluationOptions = {}): Evaluation {
  const { heads, probs, labels, paths } = input;
  const baseConfidence = options.baseConfidence ?? 0.9;
  const topK = options.topK ?? 3;
  const H = heads.length;
  const N = H ? Math.floor(labels.length / H) : 0;
  if (probs.length !== H) throw new RangeError(`expected probabilities for ${H} heads, got ${probs.length}`);
  heads.forEach((h, i) => {
    const units = h.classes.length === 1 ? 1 : h.classes.length;
    if (probs[i]!.length !== N * units) {
      throw new RangeError(`head ${h.name}: expected ${N}×${units} probabilities, got ${probs[i]!.length}`);
    }
  });
  const cols = heads.map((_, h) => labelColumn(labels, H, h));
  const preds: HeadPrediction[] = heads.map((h, i) => headPrediction(probs[i]!, h.classes.length === 1 ? 1 : h.classes.length));
  const bins = options.calibrationBins ?? 15;
  const curves: Record<string, HeadCurves> = {};
  const calibrationOf = (i: number) => {
    const y = cols[i]!;
    const p = preds[i]!;
    const correct = Int8Array.from(y, (v, n) => (v < 0 ? -1 : p.pred[n] === v ? 1 : 0));
    return calibration(p.conf, correct, bins);
  };

  const headMetrics: Record<string, SoftmaxHeadMetrics | BinaryHeadMetrics> = {};
  const binary = heads.map((h, i) => ({ h, i })).filter(({ h }) => h.classes.length === 1);
  const counts05 = classCounts(thresholdPredictions(binary.map(({ i }) => probs[i]!), 0.5), binary.map(({ i }) => cols[i]!));
  let tunedCounts: ClassCounts[] | undefined;
  if (options.thresholds) {
    if (options.thresholds.length !== binary.length) {
      throw new RangeError(`expected ${binary.length} tuned thresholds (one per binary head), got ${options.thresholds.length}`);
    }
    tunedCounts = classCounts(thresholdPredictions(binary.map(({ i }) => probs[i]!), options.thresholds), binary.map(({ i }) => cols[i]!));
  }
  heads.forEach((h, i) => {
    const acc = accuracy(preds[i]!.pred, cols[i]!);
    if (h.classes.length > 1) {
      const ovr = oneVsRest(probs[i]!, cols[i]!, h.classes.length);
      curves[h.name] = { pr: ovr.classes.map((c) => c.pr), roc: ovr.classes.map((c) => c.roc), names: h.classes };
      const K = h.classes.length;
      const confusion = confusionMatrix(preds[i]!.pred, cols[i]!, K);
      headMetrics[h.name] = {
        kind: 'softmax',
        ...acc,
        classes: h.classes,
        confusion,
        scores: {
          balancedAccuracy: balancedAccuracy(confusion),
          mcc: matthewsCorrcoef(confusion),
          logLoss: logLoss(probs[i]!, cols[i]!, K),
          brier: brierScore(probs[i]!, cols[i]!, K),
          topk: Object.fromEntries(TOP_K.filter((k) => k < K).map((k) => [`top${k}`, topKAccuracy(probs[i]!, cols[i]!, K, k)])),
        },
        mostConfused: mostConfused(confusion, h.classes),
        report: classificationReport(preds[i]!.pred, cols[i]!, h.classes),
        ovr: {
          macroAP: ovr.macroAP,
          macroAUC: ovr.macroAUC,
          classes: Object.fromEntries(h.classes.map((name, c) => [name, { positives: ovr.classes[c]!.positives, ap: ovr.classes[c]!.ap, auc: ovr.classes[c]!.auc }])),
        },
        calibration: calibrationOf(i),
      };
      return;
    }
    const b = binary.findIndex((x) => x.i === i);
    curves[h.name] = { pr: [precisionRecallCurve(probs[i]!, cols[i]!)], roc: [rocCurve(probs[i]!, cols[i]!)], names: [h.name] };
    const c = counts05[b]!;
    headMetrics[h.name] = {
      kind: 'sigmoid',
      ...acc,
      ap: averagePrecision(probs[i]!, cols[i]!),
      positives: c.tp + c.fn,
      counts: c,
      auc: rocAuc(probs[i]!, cols[i]!),
      report: classificationReport(preds[i]!.pred, cols[i]!, [className(h, 0), className(h, 1)]),
      calibration: calibrationOf(i),
      scores: (() => {
        const confusion = confusionMatrix(preds[i]!.pred, cols[i]!, 2);
        return { balancedAccuracy: balancedAccuracy(confusion), mcc: matthewsCorrcoef(confusion), logLoss: logLoss(probs[i]!, cols[i]!, 1), brier: brierScore(probs[i]!, cols[i]!, 1) };
      })(),
      ...(tunedCounts ? { tuned: { threshold: options.thresholds![b]!, counts: tunedCounts[b]! } } : {}),
    };
  });

  let multilabel: MultilabelMetrics | undefined;
  if (binary.length) {
    const aps = binary.map(({ h }) => (headMetrics[h.name] as BinaryHeadMetrics).ap).filter((a): a is number => a !== null);
    const scores = binary.map(({ i }) => probs[i]!);
    const ys = binary.map(({ i }) => cols[i]!);
    multilabel = {
      mAP: aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : null,
      classes: aps.length,
      threshold: multilabelScores(counts05),
      topk: { ...multilabelScores(classCounts(topKPredictions(scores, topK, 0.5), ys)), k: topK },
      ...(tunedCounts
        ? { tuned: { ...multilabelScores(tunedCounts), thresholds: Object.fromEntries(binary.map(({ h }, b) => [h.name, options.thresholds![b]!])) } }
        : {}),
    };
  }

  const conf = confidenceAnalysis(preds, cols, baseConfidence);
  const confident = new Set(conf.wrongIndices);
  const mistakes: WrongSample[] = [];
  for (let n = 0; n < N; n++) {
    const verdicts: HeadVerdict[] = [];
    let score = -1;
    heads.forEach((h, i) => {
      const y = cols[i]![n]!;
      if (y < 0) return;
      const p = preds[i]!.pred[n]!;
      const ok = p === y;
      const prob = preds[i]!.conf[n]!;
      if (!ok) score = Math.max(score, prob);
      verdicts.push({ head: h.name, pred: className(h, p), true: className(h, y), prob, ok });
    });
    if (score < 0) continue;
    mistakes.push({ index: n, path: paths[n] ?? '', score, confident: confident.has(n), heads: verdicts });
  }
  const confidentWrong = mistakes.filter((m) => m.confident);
  mistakes.sort((a, b) => b.score - a.score || a.index - b.index);

  return {
    metrics: {
      samples: N,
      allHeads: allHeadsAccuracy(preds.map((p) => p.pred), cols),
      confidence: { threshold: conf.threshold, count: conf.count, fraction: conf.fraction, wrong: conf.wrong, errorRate: conf.errorRate },
      heads: headMetrics,
      ...(multilabel ? { multilabel } : {}),
      confidentWrong,
    },
    curves,
    mistakes,
  };
}

/**
 * The key numbers as flat `name → value` pairs (what the stage returns to the runner's lock file):
 * `all_heads_acc`, per softmax head `acc/<head>`, `f1/<head>` (macro F1) and `auc/<head>` (macro
 * one-vs-rest AUC), per binary head `auc/<head>`, per head `ece/<head>`, then `confident_count`,
 * `confident_error_rate`, and with binary heads `mAP`, `CP`, `CR`, `CF1`, `OP`, `OR`, `OF1`,
 * `CF1_top<k>`, `OF1_top<k>`.
 */
export function keyMetrics(m: Metrics): Record<string, number | null> {
  const out: Record<string, number | null> = { all_heads_acc: m.allHeads.accuracy };
  for (const [name, h] of Object.entries(m.heads)) {
    if (h.kind === 'softmax') {
      out[`acc/${name}`] = h.accuracy;
      out[`f1/${name}`] = h.count ? h.report['macro avg'].f1 : null;
      out[`auc/${name}`] = h.ovr.macroAUC;
    } else out[`auc/${name}`] = h.auc;
    out[`ece/${name}`] = h.calibration.ece;
  }
  out.confident_count = m.confidence.count;
  out.confident_error_rate = m.confidence.errorRate;
  if (m.multilabel) {
    const ml = m.multilabel;
    out.mAP = ml.mAP;
    for (const k of ['CP', 'CR', 'CF1', 'OP', 'OR', 'OF1'] as const) out[k] = ml.threshold[k];
    out[`CF1_top${ml.topk.k}`] = ml.topk.CF1;
    out[`OF1_top${ml.topk.k}`] = ml.topk.OF1;
  }
  return out;
}
