/**
 * Model folders on disk, in the TensorFlow.js layers format:
 *
 *   <dir>/model.json     { format: "layers-model", modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights }] }
 *   <dir>/weights.bin    all weights, concatenated in manifest order
 *   <dir>/weights.sha256 the digest of weights.bin (sha256sum format), checked at every load
 *   <dir>/classes.json   { heads: [...] }  (src/data/heads.ts)
 *   <dir>/config.json    the resolved training config (incl. `preprocessing`, the one preprocessing record, and
 *                        `input: {height,width,channels,channelOrder,whiten,resize}` derived from it)
 *
 * Written through `tf.io.withSaveHandler` and read back through `tf.io.fromMemory`, so no
 * tfjs-node file handler is needed. Custom layers (./layers) are registered on import.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../engine/tf.ts';
import { DataError } from '../errors.ts';
import { readClassesFile, type HeadSpec } from '../data/heads.ts';
import { DEFAULT_RESIZE } from '../data/image/resize.ts';
import type { Preprocessing, PreprocessingChoice } from '../data/image/preprocessing.ts';
import { resolveModelPreprocessing } from './model-preprocessing.ts';
import { checkWeightsFinite, verifyWeightsDigest, writeWeightsDigest } from './weights-digest.ts';
import './layers/register.ts';

/** Input preprocessing a model expects; stored in config.json under `input` (the choices the preprocessing record follows from). */
export type InputConfig = PreprocessingChoice;

/** The loader settings (`createLoader` options) that feed a model its expected input. */
export function loaderInputOptions(input: InputConfig): InputConfig {
  return {
    height: input.height,
    width: input.width,
    channels: input.channels ?? 3,
    channelOrder: input.channelOrder,
    whiten: input.whiten,
    resize: input.resize ?? DEFAULT_RESIZE,
    ...(input.meanStd ? { meanStd: input.meanStd } : {}),
  };
}

/**
 * The resolved training config stored as config.json; `input` is required, the rest is free-form.
 * `preprocessing` is the one preprocessing record (src/data/image/preprocessing.ts); loading fills it
 * in for folders written before it and rewrites `input` from it.
 */
export interface TrainedModelConfig {
  input: InputConfig;
  preprocessing?: Preprocessing;
  [key: string]: unknown;
}

export interface SaveTrainedModelArgs {
  model: tf.LayersModel;
  heads: HeadSpec[];
  config: TrainedModelConfig;
}

export interface TrainedModel {
  model: tf.LayersModel;
  heads: HeadSpec[];
  config: TrainedModelConfig;
}

/** Writes model.json + weights.bin only (checkpoints use this too). */
export async function saveLayersModel(dir: string, model: tf.LayersModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData =
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      const bytes = new Uint8Array(weightData);
      await writeFile(join(dir, 'weights.bin'), bytes);
      await writeWeightsDigest(dir, { 'weights.bin': bytes });
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weightData.byteLength,
        },
      };
    }),
  );
}

/** Reads a folder written by `saveLayersModel`. The caller disposes the model. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const file = join(dir, 'model.json');
  let json: {
    modelTopology?: unknown;
    weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DataError(
      `cannot read model: ${(err as Error).message}`,
      { file },
      { cause: err, hint: 'point at a model folder written by the train stage (model.json + weights.bin)' },
    );
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new DataError('not a tfjs layers model.json (needs modelTopology and weightsManifest)', { file });
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  const files: Record<string, Uint8Array> = {};
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const buf = await readFile(join(dir, p));
      files[p] = buf;
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
  }
  // Every load checks the weights: the digest written with them, and that none is NaN or infinite.
  await verifyWeightsDigest(dir, files);
  const weightData = tf.io.CompositeArrayBuffer.join(buffers);
  checkWeightsFinite(dir, specs, weightData);
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData }),
    );
  } catch (err) {
    throw new DataError(`cannot load model: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** Writes a complete model folder: model.json, weights.bin, classes.json, config.json. */
export async function saveTrainedModel(dir: string, args: SaveTrainedModelArgs): Promise<void> {
  await saveLayersModel(dir, args.model);
  await writeFile(join(dir, 'classes.json'), JSON.stringify({ heads: args.heads }, null, 2) + '\n');
  await writeFile(join(dir, 'config.json'), JSON.stringify(args.config, null, 2) + '\n');
}

/** Reads a model folder written by `saveTrainedModel`. The caller disposes `model`. */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  const { heads } = await readClassesFile(join(dir, 'classes.json'));
  const cfgFile = join(dir, 'config.json');
  let config: TrainedModelConfig;
  try {
    config = JSON.parse(await readFile(cfgFile, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read model config: ${(err as Error).message}`, { file: cfgFile }, { cause: err });
  }
  if (!config?.input || typeof config.input.height !== 'number' || typeof config.input.width !== 'number') {
    throw new DataError('config.json lacks "input": {height, width, channels, channelOrder, whiten}', {
      file: cfgFile,
    });
  }
  resolveModelPreprocessing(config, cfgFile);
  const model = await loadLayersModel(dir);
  if (model.outputs.length !== heads.length) {
    model.dispose();
    throw new DataError(`model has ${model.outputs.length} outputs but classes.json lists ${heads.length} heads`, {
      file: join(dir, 'model.json'),
    });
  }
  return { model, heads, config };
}
