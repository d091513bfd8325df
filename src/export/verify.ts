/**
 * Checks an export folder: runs model.onnx with onnxruntime-node and the tfjs copy with the active
 * tfjs backend on the same random (standardized-image-like) input, and compares per output after
 * applying the activation metadata.json names. tf must have a backend (initEngine) before calling.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../engine/tf.ts';
import { MlcPipeError } from '../errors.ts';
import type { ExportMetadata } from './export-folder.ts';

export interface VerifyOptions {
  /** Random images to compare on. Defaults to 2. */
  samples?: number;
  /** Largest accepted |onnx − tfjs| over all outputs. Defaults to 1e-3. */
  tolerance?: number;
  /** Seed of the random input. Defaults to 0. */
  seed?: number;
}

export interface VerifyResult {
  maxAbsDiff: number;
  /** Max abs diff per ONNX output name. */
  perOutput: Record<string, number>;
}

type Ort = typeof import('onnxruntime-node');

export async function verifyOnnxExport(dir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const meta = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as ExportMetadata;
  if (!meta.files.onnx) throw new MlcPipeError(`${join(dir, 'metadata.json')}: no ONNX file to verify (format ${meta.format})`);
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = (mod.InferenceSession ? mod : mod.default!) as Ort;
  const { loadLayersModel } = await import('../model/io.ts');
  const n = options.samples ?? 2;
  const shape = [n, meta.input.height, meta.input.width, meta.input.channels];
  const x = tf.randomNormal(shape, 0, 1, 'float32', options.seed ?? 0);
  const model = await loadLayersModel(dir);
  const session = await ort.InferenceSession.create(join(dir, meta.files.onnx));
  try {
    const ref = tf.tidy(() => {
      const outs = model.predict(x) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(outs) ? outs : [outs]).map((t, i) => {
        const act = meta.outputs[i]!.activation;
        return (act === 'softmax' ? tf.softmax(t) : act === 'sigmoid' ? tf.sigmoid(t) : t).dataSync() as Float32Array;
      });
    });
    const res = await session.run({ [meta.input.name]: new ort.Tensor('float32', x.dataSync() as Float32Array, shape) });
    const perOutput: Record<string, number> = {};
    let maxAbsDiff = 0;
    meta.outputs.forEach((o, i) => {
      const got = res[o.name]?.data as Float32Array | undefined;
      if (!got || got.length !== ref[i]!.length) throw new MlcPipeError(`${dir}: ONNX output ${o.name} is missing or has ${got?.length ?? 0} values, tfjs has ${ref[i]!.length}`);
      let m = 0;
      got.forEach((v, j) => (m = Math.max(m, Math.abs(v - ref[i]![j]!))));
      perOutput[o.name] = m;
      maxAbsDiff = Math.max(maxAbsDiff, m);
    });
    const tolerance = options.tolerance ?? 1e-3;
    if (!(maxAbsDiff <= tolerance)) {
      throw new MlcPipeError(`${dir}: ONNX and tfjs outputs differ by ${maxAbsDiff} (> ${tolerance}): ${JSON.stringify(perOutput)}`, {
        hint: 'export with fold_bn: false to rule out BN folding, and report the model config',
      });
    }
    return { maxAbsDiff, perOutput };
  } finally {
    x.dispose();
    model.dispose();
    await session.release();
  }
}
