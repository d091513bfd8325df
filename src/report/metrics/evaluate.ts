/**
 * All of a run's metrics from its predictions: the seed's categorical metrics for every head
 * (binary heads decide at p ≥ 0.5), and the multi-label family over the binary heads. The result
 * is what `metrics.json` holds; `mistakes` feeds `wrong.csv` and the report's thumbnails.
 *
 * Per head: head-metrics.ts; the wrong samples: mistakes.ts; the flat key numbers: key-metrics.ts.
 */
import type { HeadSpec } from '../../data/heads.ts';
import {
  allHeadsAccuracy,
  confidenceAnalysis,
  headPrediction,
  labelColumn,
  type AccuracyResult,
  type HeadPrediction,
} from './categorical.ts';
import {
  binaryHeadMetrics,
  softmaxHeadMetrics,
  type BinaryHeadMetrics,
  type HeadCurves,
  type HeadData,
  type SoftmaxHeadMetrics,
} from './head-metrics.ts';
import { wrongSamples, type WrongSample } from './mistakes.ts';
import {
  classCounts,
  multilabelScores,
  thresholdPredictions,
  topKPredictions,
  type ClassCounts,
  type PrfScores,
} from './multilabel.ts';

export {
  className,
  TOP_K,
  type BinaryHeadMetrics,
  type HeadCurves,
  type HeadScores,
  type OvrClassMetrics,
  type SoftmaxHeadMetrics,
} from './head-metrics.ts';
export { keyMetrics } from './key-metrics.ts';
export type { HeadVerdict, WrongSample } from './mistakes.ts';

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

export interface Metrics {
  samples: number;
  allHeads: AccuracyResult;
  confidence: { threshold: number; count: number; fraction: number | null; wrong: number; errorRate: number | null };
  heads: Record<string, SoftmaxHeadMetrics | BinaryHeadMetrics>;
  multilabel?: MultilabelMetrics;
  /** The seed's list: confident samples with a wrong head, input order. */
  confidentWrong: WrongSample[];
}

export interface Evaluation {
  metrics: Metrics;
  /** PR and ROC curves per head name. */
  curves: Record<string, HeadCurves>;
  /** Every sample with a wrong known head, most confident mistake first. */
  mistakes: WrongSample[];
}

/** The binary heads' 2×2 counts at p ≥ 0.5 and, with tuned thresholds, at those. */
interface BinaryCounts {
  /** The binary heads: their spec and index among all heads. */
  binary: { h: HeadSpec; i: number }[];
  at05: ClassCounts[];
  tuned?: ClassCounts[];
}

/** Computes every metric; see the module comment. */
export function evaluatePredictions(input: EvaluationInput, options: EvaluationOptions = {}): Evaluation {
  const { heads, probs, labels, paths } = input;
  const H = heads.length;
  const N = H ? Math.floor(labels.length / H) : 0;
  checkShapes(heads, probs, N);
  const cols = heads.map((_, h) => labelColumn(labels, H, h));
  const preds: HeadPrediction[] = heads.map((h, i) =>
    headPrediction(probs[i]!, h.classes.length === 1 ? 1 : h.classes.length),
  );
  const data: HeadData[] = heads.map((head, i) => ({
    head,
    probs: probs[i]!,
    labels: cols[i]!,
    pred: preds[i]!,
    bins: options.calibrationBins ?? 15,
  }));
  const counts = binaryCounts(data, options.thresholds);

  const headMetrics: Record<string, SoftmaxHeadMetrics | BinaryHeadMetrics> = {};
  const curves: Record<string, HeadCurves> = {};
  data.forEach((d, i) => {
    const b = counts.binary.findIndex((x) => x.i === i);
    const one =
      d.head.classes.length > 1
        ? softmaxHeadMetrics(d)
        : binaryHeadMetrics(
            d,
            counts.at05[b]!,
            counts.tuned ? { threshold: options.thresholds![b]!, counts: counts.tuned[b]! } : undefined,
          );
    headMetrics[d.head.name] = one.metrics;
    curves[d.head.name] = one.curves;
  });
  const multilabel = counts.binary.length ? multilabelMetrics(data, counts, headMetrics, options) : undefined;

  const conf = confidenceAnalysis(preds, cols, options.baseConfidence ?? 0.9);
  const mistakes = wrongSamples(N, heads, preds, cols, paths, new Set(conf.wrongIndices));
  const confidentWrong = mistakes.filter((m) => m.confident);
  mistakes.sort((a, b) => b.score - a.score || a.index - b.index);

  return {
    metrics: {
      samples: N,
      allHeads: allHeadsAccuracy(
        preds.map((p) => p.pred),
        cols,
      ),
      confidence: {
        threshold: conf.threshold,
        count: conf.count,
        fraction: conf.fraction,
        wrong: conf.wrong,
        errorRate: conf.errorRate,
      },
      heads: headMetrics,
      ...(multilabel ? { multilabel } : {}),
      confidentWrong,
    },
    curves,
    mistakes,
  };
}

/** One probability array per head, of N × units each. */
function checkShapes(heads: readonly HeadSpec[], probs: readonly Float32Array[], N: number): void {
  if (probs.length !== heads.length)
    throw new RangeError(`expected probabilities for ${heads.length} heads, got ${probs.length}`);
  heads.forEach((h, i) => {
    const units = h.classes.length === 1 ? 1 : h.classes.length;
    if (probs[i]!.length !== N * units) {
      throw new RangeError(`head ${h.name}: expected ${N}×${units} probabilities, got ${probs[i]!.length}`);
    }
  });
}

function binaryCounts(data: readonly HeadData[], thresholds: number[] | undefined): BinaryCounts {
  const binary = data.map((d, i) => ({ h: d.head, i })).filter(({ h }) => h.classes.length === 1);
  const scores = binary.map(({ i }) => data[i]!.probs);
  const ys = binary.map(({ i }) => data[i]!.labels);
  const at05 = classCounts(thresholdPredictions(scores, 0.5), ys);
  if (!thresholds) return { binary, at05 };
  if (thresholds.length !== binary.length) {
    throw new RangeError(`expected ${binary.length} tuned thresholds (one per binary head), got ${thresholds.length}`);
  }
  return { binary, at05, tuned: classCounts(thresholdPredictions(scores, thresholds), ys) };
}

/** The multi-label family over the binary heads: mAP, and CP…OF1 at 0.5, at top-k and at the tuned thresholds. */
function multilabelMetrics(
  data: readonly HeadData[],
  counts: BinaryCounts,
  heads: Record<string, SoftmaxHeadMetrics | BinaryHeadMetrics>,
  options: EvaluationOptions,
): MultilabelMetrics {
  const { binary } = counts;
  const topK = options.topK ?? 3;
  const aps = binary.map(({ h }) => (heads[h.name] as BinaryHeadMetrics).ap).filter((a): a is number => a !== null);
  const scores = binary.map(({ i }) => data[i]!.probs);
  const ys = binary.map(({ i }) => data[i]!.labels);
  return {
    mAP: aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : null,
    classes: aps.length,
    threshold: multilabelScores(counts.at05),
    topk: { ...multilabelScores(classCounts(topKPredictions(scores, topK, 0.5), ys)), k: topK },
    ...(counts.tuned
      ? {
          tuned: {
            ...multilabelScores(counts.tuned),
            thresholds: Object.fromEntries(binary.map(({ h }, b) => [h.name, options.thresholds![b]!])),
          },
        }
      : {}),
  };
}
