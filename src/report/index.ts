/**
 * What a user looks at after training: metrics (src/report/metrics), drawings (src/report/draw),
 * the HTML report and `metrics diff` (running a model is src/predict). Named exports only; heavy
 * modules (sharp, tf) load lazily inside the functions that need them.
 */
export { averagePrecision, precisionRecallCurve, type PrPoint } from './metrics/average-precision.ts';
export {
  accuracy,
  allHeadsAccuracy,
  confidenceAnalysis,
  confusionMatrix,
  headPrediction,
  type AccuracyResult,
  type ConfidenceResult,
  type HeadPrediction,
} from './metrics/categorical.ts';
export {
  classCounts,
  multilabelScores,
  thresholdPredictions,
  topKPredictions,
  tuneThresholds,
  type ClassCounts,
  type PrfScores,
} from './metrics/multilabel.ts';
export { classificationReport, type ClassificationReport, type ClassScores } from './metrics/classification-report.ts';
export { oneVsRest, rocAuc, rocCurve, type OneVsRest, type RocPoint } from './metrics/roc.ts';
export { calibration, type Calibration, type CalibrationBin } from './metrics/calibration.ts';
export { CONFUSION_NORMALIZE, normalizeConfusion, type ConfusionNormalize } from './draw/confusion.ts';
export { loadComparison, type Comparison } from './compare.ts';
export {
  evaluatePredictions,
  keyMetrics,
  type Evaluation,
  type EvaluationInput,
  type EvaluationOptions,
  type Metrics,
  type WrongSample,
} from './metrics/evaluate.ts';
export { writeReport, type RunHeader, type WriteReportOptions, type WrittenReport } from './write.ts';
export { renderReport, type ReportInput, type ReportFigure } from './html.ts';
export { metricsDiff, metricsDiffRows, type MetricsDiffOptions } from './diff.ts';
