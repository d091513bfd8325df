/**
 * Writes an export folder from a model folder (train/prune format):
 *
 *   <out>/model.onnx      (format onnx) the ONNX graph, see ./to-onnx.ts; with `onnxPreprocess` (the
 *                           default) it takes `pixels: uint8 [N, H, W, C]` of any H, W and holds the
 *                           resize and normalisation (./onnx-preprocess.ts)
 *   <out>/model_float.onnx (format onnx, with `onnxPreprocess`) the same network taking the float32
 *                           input the tfjs model takes (preprocessed by the caller)
 *   <out>/model.json      the tfjs layers model as trained (always; copied byte for byte
 *   <out>/weights.bin       with every weight file the manifest names, or with `quantize` its
 *                           kernels quantized in tfjs' own manifest format, see ./quantize.ts)
 *   <out>/classes.json    heads, as in the model folder
 *   <out>/config.json     the model folder's config (so the folder is itself a loadable model folder)
 *   <out>/metadata.json   what a consumer needs to preprocess and read outputs (ExportMetadata)
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, DataError } from '../errors.ts';
import { headKind, type HeadSpec } from '../data/heads.ts';
import { preprocessingSteps, type Preprocessing } from '../data/image/preprocessing.ts';
import { toOnnx } from './to-onnx.ts';
import { onnxPreprocessProblem } from './onnx-preprocess.ts';
import { quantizeWeights, type ManifestWeight, type QuantizeDtype } from './quantize.ts';

export type ExportFormat = 'onnx' | 'tfjs';

export interface ExportOptions {
  /** What to produce besides the tfjs copy. Defaults to 'onnx'. */
  format?: ExportFormat;
  /** ONNX outputs are probabilities (softmax/sigmoid per head) rather than logits. Defaults to true. */
  probabilities?: boolean;
  /** ONNX opset, 13 to 21. Defaults to 13. */
  opset?: number;
  /** Fold BatchNormalization into the preceding conv in ONNX. Defaults to true. */
  foldBatchNorm?: boolean;
  /** Quantize the tfjs copy's kernels (the ONNX model stays float32). Defaults to 'none'. */
  quantize?: QuantizeDtype | 'none';
  /** model.onnx takes uint8 pixels of any size and holds the preprocessing; model_float.onnx takes the float input. Defaults to true. */
  onnxPreprocess?: boolean;
}

/** metadata.json. */
export interface ExportMetadata {
  format: ExportFormat;
  /** `onnx`: model.onnx (uint8 `pixels` input with `pixels` below, else float input); `onnxFloat`: the ONNX model with the float input (`input` below). */
  files: { onnx?: string; onnxFloat?: string; tfjs: string; classes: string; config: string };
  input: {
    /** ONNX graph input name (tfjs: the model's input layer). */
    name: string;
    layout: 'NHWC';
    dtype: 'float32';
    /** [batch, height, width, channels]. */
    shape: (number | string)[];
    height: number;
    width: number;
    channels: 1 | 3;
    channelOrder: 'rgb' | 'bgr';
    whiten: boolean;
    /** The preprocessing, in words, in the order the training loader applies it. */
    preprocessing: string[];
  };
  /** The one preprocessing record of the model (config.json's `preprocessing`, src/data/image/preprocessing.ts). */
  preprocessing: Preprocessing;
  /** model.onnx's image input when the preprocessing is inside it (`onnx_preprocess`). */
  pixels?: {
    name: string;
    file: string;
    dtype: 'uint8';
    layout: 'NHWC';
    shape: (number | string)[];
    opset: number;
    ops: Record<string, number>;
  };
  outputs: Array<{
    /** ONNX output name. */
    name: string;
    head: string;
    classes: string[];
    /** `softmax` / `sigmoid` when the ONNX output holds probabilities, `none` for logits. */
    activation: 'softmax' | 'sigmoid' | 'none';
  }>;
  /** tfjs model outputs are always logits, one per head in this order. */
  tfjsOutputs: 'logits';
  onnx?: { opset: number; foldedBatchNorm: string[]; ops: Record<string, number> };
  /** The tfjs copy: weight quantization and the bytes of its weight files (float32 source vs written). */
  tfjs: {
    quantization: QuantizeDtype | 'none';
    quantizedWeights: number;
    weightBytes: { float32: number; written: number };
  };
  /** Parameters of the model (all weights, BN statistics included). */
  params: number;
  /** Filled in by the convert stage: what the model card reports. */
  card?: ModelCardFacts;
}

/** The facts of a model card beyond the export itself (see ./model-card.ts). */
export interface ModelCardFacts {
  /** The model folder exported, as the pipeline names it. */
  source: string;
  /** The train run: epochs done, the epoch kept (restore_best), model name, seed, engine. */
  run: Record<string, unknown>;
  /** Training data: label file or shards, image count, content hash. */
  training?: { data: string; images: number | null; sha256: string | null; initFrom?: string };
  /** The evaluation behind the export: its report folder, data, data hash, metrics per head. */
  evaluation?: {
    report: string;
    data: string;
    dataSha256: string;
    samples: number | null;
    allHeads: number | null;
    heads: Record<string, number | null>;
  };
  /** Pruning in this model's history (network slimming), when any. */
  pruning?: {
    from: string;
    ratio: number | null;
    params: { before: number; after: number };
    flops: { before: number; after: number };
  };
  /** What the quantized tfjs copy scores vs the float32 model on the check split, when quantized. */
  quantization?: {
    split: string;
    float32: { allHeads: number | null; heads: Record<string, number | null> };
    quantized: { allHeads: number | null; heads: Record<string, number | null> };
  };
  /** ONNX parity: input kind, images, max abs diff, decisions that differ. */
  onnxParity?: {
    input: 'real' | 'random';
    split?: string;
    images: number;
    maxAbsDiff: number;
    argmaxMismatches: number;
  };
  /** model.onnx (`pixels` input) vs predict's path on images of other sizes (./pixels-parity.ts). */
  pixelsParity?: import('./pixels-parity.ts').PixelsParity;
}

/** Copies (or quantizes) the tfjs model; returns the quantized entry count and the weight bytes before/after. */
async function copyTfjs(
  modelDir: string,
  out: string,
  quantize: QuantizeDtype | 'none',
): Promise<{ quantized: number; float32: number; written: number }> {
  const file = join(modelDir, 'model.json');
  let json: { weightsManifest?: Array<{ paths: string[]; weights: ManifestWeight[] }>; [k: string]: unknown };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read model: ${(err as Error).message}`, { file }, { cause: err });
  }
  const groups = json.weightsManifest ?? [];
  const buffers: Buffer[] = [];
  for (const group of groups) for (const p of group.paths) buffers.push(await readFile(join(modelDir, p)));
  const float32 = buffers.reduce((n, b) => n + b.length, 0);
  if (quantize === 'none') {
    await copyFile(file, join(out, 'model.json'));
    for (const group of groups) for (const p of group.paths) await copyFile(join(modelDir, p), join(out, p));
    return { quantized: 0, float32, written: float32 };
  }
  const q = quantizeWeights(
    groups.flatMap((g) => g.weights),
    new Uint8Array(Buffer.concat(buffers)),
    quantize,
  );
  await writeFile(join(out, 'weights.bin'), q.data);
  await writeFile(
    join(out, 'model.json'),
    JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: q.weights }] }),
  );
  return { quantized: q.quantized, float32, written: q.data.length };
}

/**
 * The ONNX files into `out` and their facts into `meta`: the float model (model.onnx, or model_float.onnx
 * beside the pixels model.onnx that has the preprocessing inside, when `onnxPreprocess` is on).
 */
async function writeOnnx(
  model: Parameters<typeof toOnnx>[0],
  heads: HeadSpec[],
  meta: ExportMetadata,
  out: string,
  options: ExportOptions & { opset: number; probabilities: boolean },
): Promise<void> {
  const { opset, probabilities } = options;
  const pre = options.onnxPreprocess ?? true;
  const floatFile = pre ? 'model_float.onnx' : 'model.onnx';
  const common = { heads, probabilities, foldBatchNorm: options.foldBatchNorm };
  const exp = toOnnx(model, {
    ...common,
    opset,
    metadata: {
      heads: JSON.stringify(heads),
      input: JSON.stringify(meta.input),
      preprocessing: JSON.stringify(meta.preprocessing),
    },
  });
  await writeFile(join(out, floatFile), exp.bytes);
  meta.files.onnx = 'model.onnx';
  meta.files.onnxFloat = floatFile;
  meta.input.name = exp.input.name;
  meta.outputs.forEach((o, i) => (o.name = exp.outputs[i]!));
  meta.onnx = { opset, foldedBatchNorm: exp.folded, ops: exp.ops };
  if (pre) {
    const px = toOnnx(model, {
      ...common,
      opset,
      preprocessing: meta.preprocessing,
      metadata: {
        heads: JSON.stringify(heads),
        preprocessing: JSON.stringify(meta.preprocessing),
        input: 'pixels: uint8 NHWC, any height and width; decode only (EXIF orientation applied, 8-bit sRGB or grey)',
      },
    });
    await writeFile(join(out, 'model.onnx'), px.bytes);
    meta.pixels = {
      name: px.input.name,
      file: 'model.onnx',
      dtype: 'uint8',
      layout: 'NHWC',
      shape: px.input.shape,
      opset: px.opset,
      ops: px.ops,
    };
  }
}

/**
 * Exports the model folder `modelDir` into `out` (created). Returns the metadata written.
 * tf must have a backend (initEngine) before calling.
 */
export async function exportModelFolder(
  modelDir: string,
  out: string,
  options: ExportOptions = {},
): Promise<ExportMetadata> {
  const { loadTrainedModel } = await import('../model/io.ts');
  const format = options.format ?? 'onnx';
  const probabilities = options.probabilities ?? true;
  const opset = options.opset ?? 13;
  const { model, heads, config } = await loadTrainedModel(modelDir);
  try {
    if (format === 'onnx' && (options.onnxPreprocess ?? true)) {
      const problem = onnxPreprocessProblem(config.preprocessing!);
      if (problem)
        throw new ConfigError(problem, {
          hint: 'set onnx_preprocess: false on convert (the card then lists the steps a client runs), or train with resize: bilinear',
        });
    }
    await mkdir(out, { recursive: true });
    const tfjs = await copyTfjs(modelDir, out, options.quantize ?? 'none');
    await writeFile(join(out, 'classes.json'), JSON.stringify({ heads }, null, 2) + '\n');
    await copyFile(join(modelDir, 'config.json'), join(out, 'config.json'));
    const input = config.input;
    const inputName = model.inputs[0]!.name.replace(/:\d+$/, '');
    const meta: ExportMetadata = {
      format,
      files: { tfjs: 'model.json', classes: 'classes.json', config: 'config.json' },
      input: {
        name: inputName,
        layout: 'NHWC',
        dtype: 'float32',
        shape: ['batch', input.height, input.width, input.channels],
        height: input.height,
        width: input.width,
        channels: input.channels,
        channelOrder: input.channelOrder,
        whiten: input.whiten,
        preprocessing: preprocessingSteps(config.preprocessing!),
      },
      preprocessing: config.preprocessing!,
      outputs: outputsMeta(heads, format === 'onnx' && probabilities),
      tfjsOutputs: 'logits',
      tfjs: {
        quantization: options.quantize ?? 'none',
        quantizedWeights: tfjs.quantized,
        weightBytes: { float32: tfjs.float32, written: tfjs.written },
      },
      params: model.countParams(),
    };
    if (format === 'onnx') await writeOnnx(model, heads, meta, out, { ...options, opset, probabilities });
    await writeFile(join(out, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
    return meta;
  } finally {
    model.dispose();
  }
}

function outputsMeta(heads: HeadSpec[], probabilities: boolean): ExportMetadata['outputs'] {
  return heads.map((h, i) => ({
    name: probabilities ? h.name.replace(/[^A-Za-z0-9_]/g, '_') : `${h.name.replace(/[^A-Za-z0-9_]/g, '_')}_logits`,
    head: h.name,
    classes: h.classes,
    activation: probabilities ? headKind(h) : 'none',
  }));
}
