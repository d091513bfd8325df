/** Model export: ONNX (./to-onnx.ts) and the tfjs folder + metadata.json a consumer needs (./export-folder.ts). */
export { toOnnx, type OnnxExport, type OnnxExportOptions } from './to-onnx.ts';
export { preprocessingSteps } from '../data/image/preprocessing.ts';
export {
  exportModelFolder,
  type ExportFormat,
  type ExportMetadata,
  type ExportOptions,
  type ModelCardFacts,
} from './export-folder.ts';
export { verifyOnnxExport, type VerifyOptions, type VerifyResult } from './verify.ts';
export { exportRelease, type ReleaseOptions, type Release } from './release.ts';
export { renderModelCard, writeModelCard } from './model-card.ts';
export {
  quantizeWeights,
  float32ToFloat16Bits,
  affineRange,
  QUANTIZE_DTYPES,
  type QuantizeDtype,
  type QuantizedWeights,
  type ManifestWeight,
} from './quantize.ts';
