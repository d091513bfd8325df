/**
 * Checks an export folder: runs the float-input ONNX model (model_float.onnx, or model.onnx without
 * onnx_preprocess) with onnxruntime-node and the float32 model with the
 * active tfjs backend on the same input, and compares per output after applying the activation
 * metadata.json names: the largest |onnx − tfjs| and, per head, whether both pick the same class
 * (argmax, or p ≥ 0.5 for a binary head) on every image. The input is real preprocessed images
 * (`images`, e.g. the validation split) or, without them, random standardized-image-like noise.
 * tf must have a backend (initEngine) before calling.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../engine/tf.ts';
import { MlcPipeError } from '../errors.ts';
import type { ExportMetadata } from './export-folder.ts';
import { headPrediction } from '../report/metrics/categorical.ts';

export interface VerifyOptions {
  /** Real preprocessed image batches (NHWC float32, `n` images each) to compare on. Defaults to none (random input). */
  images?: Array<{ data: Float32Array; n: number }>;
  /** Random images to compare on when `images` is not given. Defaults to 2. */
  samples?: number;
  /** Largest accepted |onnx − tfjs| over all outputs. Defaults to 1e-4. */
  tolerance?: number;
  /** The float32 model folder to compare against. Defaults to `dir` (its tfjs copy). */
  reference?: string;
  /** Seed of the random input. Defaults to 0. */
  seed?: number;
}

export interface VerifyResult {
  maxAbsDiff: number;
  /** Max abs diff per ONNX output name. */
  perOutput: Record<string, number>;
  /** Images compared. */
  images: number;
  /** `real` (given images) or `random`. */
  input: 'real' | 'random';
  /** Images (summed over heads) where ONNX and tfjs pick different classes. */
  argmaxMismatches: number;
}

type Ort = typeof import('onnxruntime-node');

export async function verifyOnnxExport(dir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const meta = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as ExportMetadata;
  const onnxFile = meta.files.onnxFloat ?? meta.files.onnx;
  if (!onnxFile)
    throw new MlcPipeError(`${join(dir, 'metadata.json')}: no ONNX file to verify (format ${meta.format})`);
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = (mod.InferenceSession ? mod : mod.default!) as Ort;
  const { loadLayersModel } = await import('../model/io.ts');
  const shapeOf = (n: number) => [n, meta.input.height, meta.input.width, meta.input.channels];
  const batches = options.images?.length
    ? options.images
    : [
        {
          data: tf.tidy(
            () =>
              tf
                .randomNormal(shapeOf(options.samples ?? 2), 0, 1, 'float32', options.seed ?? 0)
                .dataSync() as Float32Array,
          ),
          n: options.samples ?? 2,
        },
      ];
  const model = await loadLayersModel(options.reference ?? dir);
  const session = await ort.InferenceSession.create(join(dir, onnxFile));
  try {
    const perOutput: Record<string, number> = {};
    let maxAbsDiff = 0;
    let mismatches = 0;
    let images = 0;
    for (const batch of batches) {
      const shape = shapeOf(batch.n);
      const ref = tf.tidy(() => {
        const outs = model.predict(tf.tensor4d(batch.data, shape as [number, number, number, number])) as
          tf.Tensor | tf.Tensor[];
        return (Array.isArray(outs) ? outs : [outs]).map((t, i) => {
          const act = meta.outputs[i]!.activation;
          return (act === 'softmax' ? tf.softmax(t) : act === 'sigmoid' ? tf.sigmoid(t) : t).dataSync() as Float32Array;
        });
      });
      const res = await session.run({ [meta.input.name]: new ort.Tensor('float32', batch.data, shape) });
      meta.outputs.forEach((o, i) => {
        const got = res[o.name]?.data as Float32Array | undefined;
        if (!got || got.length !== ref[i]!.length)
          throw new MlcPipeError(
            `${dir}: ONNX output ${o.name} is missing or has ${got?.length ?? 0} values, tfjs has ${ref[i]!.length}`,
          );
        let m = perOutput[o.name] ?? 0;
        got.forEach((v, j) => (m = Math.max(m, Math.abs(v - ref[i]![j]!))));
        perOutput[o.name] = m;
        maxAbsDiff = Math.max(maxAbsDiff, m);
        const units = o.classes.length === 1 ? 1 : o.classes.length;
        const a = headPrediction(got, units).pred;
        const b = headPrediction(ref[i]!, units).pred;
        a.forEach((c, j) => c !== b[j] && mismatches++);
      });
      images += batch.n;
    }
    const tolerance = options.tolerance ?? 1e-4;
    if (!(maxAbsDiff <= tolerance) || mismatches > 0) {
      throw new MlcPipeError(
        `${dir}: ONNX and tfjs outputs differ by ${maxAbsDiff} (tolerance ${tolerance}) with ${mismatches} different decisions over ${images} images: ${JSON.stringify(perOutput)}`,
        {
          hint: 'export with fold_bn: false to rule out BN folding, and report the model config',
        },
      );
    }
    return {
      maxAbsDiff,
      perOutput,
      images,
      input: options.images?.length ? 'real' : 'random',
      argmaxMismatches: mismatches,
    };
  } finally {
    model.dispose();
    await session.release();
  }
}
