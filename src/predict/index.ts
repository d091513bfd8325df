/**
 * Running a trained model: `predict` on image files and folders (./predict-files.ts) and
 * `inferAll` over a loader's batches (./loader-inference.ts, shared with the evaluate stage).
 */
export {
  predict,
  formatPredictions,
  predictionsCsv,
  type PredictOptions,
  type PredictionRow,
} from './predict-files.ts';
export { inferAll, type Inference, type InferOptions } from './loader-inference.ts';
