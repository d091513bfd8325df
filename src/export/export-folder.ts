/**
 * Writes an export folder from a model folder (train/prune format):
 *
 *   <out>/model.onnx      (format onnx) the ONNX graph, see ./to-onnx.ts
 *   <out>/model.json      the tfjs layers model as trained (always; copied byte for byte
 *   <out>/weights.bin       with every weight file the manifest names, or with `quantize` its
 *                           kernels quantized in tfjs' own manifest format, see ./quantize.ts)
 *   <out>/classes.json    heads, as in the model folder
 *   <out>/config.json     the model folder's config (so the folder is itself a loadable model folder)
 *   <out>/metadata.json   what a consumer needs to preprocess and read outputs (ExportMetadata)
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import { headKind, type HeadSpec } from '../data/heads.ts';
import type { InputConfig } from '../model/io.ts';
import { toOnnx } from './to-onnx.ts';
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
}

/** metadata.json. */
export interface ExportMetadata {
  format: ExportFormat;
  files: { onnx?: string; tfjs: string; classes: string; config: string };
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
  tfjs: { quantization: QuantizeDtype | 'none'; quantizedWeights: number; weightBytes: { float32: number; written: number } };
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
  evaluation?: { report: string; data: string; dataSha256: string; samples: number | null; allHeads: number | null; heads: Record<string, number | null> };
  /** Pruning in this model's history (network slimming), when any. */
  pruning?: { from: string; ratio: number | null; params: { before: number; after: number }; flops: { before: number; after: number } };
  /** What the quantized tfjs copy scores vs the float32 model on the check split, when quantized. */
  quantization?: { split: string; float32: { allHeads: number | null; heads: Record<string, number | null> }; quantized: { allHeads: number | null; heads: Record<string, number | null> } };
  /** ONNX parity: input kind, images, max abs diff, decisions that differ. */
  onnxParity?: { input: 'real' | 'random'; split?: string; images: number; maxAbsDiff: number; argmaxMismatches: number };
}

/** Preprocessing steps matching src/data/image (decode → resize → [0,1] → standardize → channel order). */
export function preprocessingSteps(input: InputConfig): string[] {
  const steps = [
    `decode, apply EXIF orientation, convert to ${input.channels === 1 ? 'grayscale' : 'sRGB'}`,
    `resize to exactly ${input.height}×${input.width} (height×width, aspect not kept)`,
    'scale to float32 in [0, 1] (x / 255)',
  ];
  if (input.whiten) steps.push('per-image standardization: (x − mean) / max(std, 1/√(H·W·C)) over all pixels and channels');
  if (input.channelOrder === 'bgr' && input.channels === 3) steps.push('swap channels to BGR');
  steps.push('layout NHWC, batch first');
  return steps;
}

/** Copies (or quantizes) the tfjs model; returns the quantized entry count and the weight bytes before/after. */
async function copyTfjs(modelDir: string, out: string, quantize: QuantizeDtype | 'none'): Promise<{ quantized: number; float32: number; written: number }> {
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
  const q = quantizeWeights(groups.flatMap((g) => g.weights), new Uint8Array(Buffer.concat(buffers)), quantize);
  await writeFile(join(out, 'weights.bin'), q.data);
  await writeFile(join(out, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: q.weights }] }));
  return { quantized: q.quantized, float32, written: q.data.length };
}

/**
 * Exports the model folder `modelDir` into `out` (created). Returns the metadata written.
 * tf must have a backend (initEngine) before calling.
 */
export async function exportModelFolder(modelDir: string, out: string, options: ExportOptions = {}): Promise<ExportMetadata> {
  const { loadTrainedModel } = await import('../model/io.ts');
  const format = options.format ?? 'onnx';
  const probabilities = options.probabilities ?? true;
  const opset = options.opset ?? 13;
  const { model, heads, config } = await loadTrainedModel(modelDir);
  try {
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
        preprocessing: preprocessingSteps(input),
      },
      outputs: outputsMeta(heads, format === 'onnx' && probabilities),
      tfjsOutputs: 'logits',
      tfjs: { quantization: options.quantize ?? 'none', quantizedWeights: tfjs.quantized, weightBytes: { float32: tfjs.float32, written: tfjs.written } },
      params: model.countParams(),
    };
    if (format === 'onnx') {
      const exp = toOnnx(model, {
        heads,
        probabilities,
        opset,
        foldBatchNorm: options.foldBatchNorm,
        metadata: { heads: JSON.stringify(heads), input: JSON.stringify(meta.input) },
      });
      await writeFile(join(out, 'model.onnx'), exp.bytes);
      meta.files.onnx = 'model.onnx';
      meta.input.name = exp.input.name;
      meta.outputs.forEach((o, i) => (o.name = exp.outputs[i]!));
      meta.onnx = { opset, foldedBatchNorm: exp.folded, ops: exp.ops };
    }
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
