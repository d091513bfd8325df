/**
 * Public surface of src/data: the loader, demo datasets, TFRecord I/O, label checking and
 * dataset generation. Everything else under src/data may change.
 */
export { createLoader, type Batch, type Loader, type LoaderOptions, type MixInfo } from './loader/create-loader.ts';
export { resolveAugment, type AugmentOptions } from './image/augment.ts';
export {
  decodeResized,
  decodeResizedFloat,
  decodePixels,
  type DecodeSize,
  type DecodedPixels,
} from './image/decode.ts';
export { resizeImage, RESIZE_KERNELS, RESIZE_EQUIVALENTS, DEFAULT_RESIZE, type ResizeKernel } from './image/resize.ts';
export {
  preprocessingRecord,
  preprocessingSteps,
  type Preprocessing,
  type PreprocessingChoice,
} from './image/preprocessing.ts';
export { perImageStandardize } from './image/whiten.ts';
export { makeDemoDataset, DEMO_NAMES, type DemoName, type DemoOptions, type DemoSummary } from './demo/index.ts';
export {
  writeTfRecordShards,
  shardName,
  type TfRecordInput,
  type WriteShardsOptions,
  type WriteShardsResult,
} from './tfrecord/writer.ts';
export { readRecords, countRecords, frameRecord, type RawRecord } from './tfrecord/framing.ts';
export { encodeImageExample, decodeImageExample, type ImageExample } from './tfrecord/example.ts';
export {
  checkLabelFile,
  type CheckOptions,
  type CheckResult,
  type CheckSummary,
  type Reject,
} from './check/check-labels.ts';
export { inspectImage, type ImageInfo } from './check/inspect.ts';
export { createRng, mixSeed, type Rng } from './rng.ts';
export {
  headKind,
  headUnits,
  maxLabel,
  readClassesFile,
  type ClassesFile,
  type HeadKind,
  type HeadSpec,
} from './heads.ts';
