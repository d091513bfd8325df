/** Model export: ONNX (./to-onnx.ts) and the tfjs folder + metadata.json a consumer needs (./export-folder.ts). */
export { toOnnx, type OnnxExport, type OnnxExportOptions } from './to-onnx.ts';
export { exportModelFolder, preprocessingSteps, type ExportFormat, type ExportMetadata, type ExportOptions } from './export-folder.ts';
export { verifyOnnxExport, type VerifyOptions, type VerifyResult } from './verify.ts';
