/**
 * Predicting with a `model.onnx` on onnxruntime-node. Two kinds of graph:
 * - float input (NHWC float32 at the trained size): fed the training loader's preprocessed batches;
 * - `uint8` image input (the graph holds resize and normalisation): fed each decoded image as it
 *   is (EXIF orientation applied, 8-bit sRGB or grey), one at a time since sizes differ.
 * Outputs: one per head, probabilities (convert's default) or logits (metadata.json says which).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeadSpec } from '../data/heads.ts';
import type { Loader } from '../data/loader/create-loader.ts';
import type { Inference } from './loader-inference.ts';

type Ort = typeof import('onnxruntime-node');

export interface OnnxModel {
  /** Runs a batch: `float` NHWC at the trained size, or one `uint8` image of any size. */
  run(data: Float32Array | Uint8Array, shape: number[]): Promise<Float32Array[]>;
  /** The graph takes uint8 pixels (preprocessing inside) rather than preprocessed floats. */
  readonly pixels: boolean;
  release(): Promise<void>;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Logits → probabilities per head (softmax rows, or sigmoid for a binary head). */
function toProbs(out: Float32Array, head: HeadSpec): Float32Array {
  if (head.classes.length === 1) return out.map(sigmoid);
  const K = head.classes.length;
  const p = new Float32Array(out.length);
  for (let r = 0; r < out.length / K; r++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, out[r * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += p[r * K + k] = Math.exp(out[r * K + k]! - m);
    for (let k = 0; k < K; k++) p[r * K + k]! /= s;
  }
  return p;
}

/** Opens `file` with onnxruntime-node; `dir`'s metadata.json (when there) says whether outputs are logits. */
export async function openOnnx(file: string, dir: string, heads: HeadSpec[]): Promise<OnnxModel> {
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = (mod.InferenceSession ? mod : mod.default!) as Ort;
  const session = await ort.InferenceSession.create(file);
  const metaFile = join(dir, 'metadata.json');
  const meta = existsSync(metaFile)
    ? (JSON.parse(await readFile(metaFile, 'utf8')) as { outputs?: Array<{ activation?: string }> })
    : {};
  // convert names logit outputs `<head>_logits` and records `activation: none` for them
  const logits =
    (meta.outputs ?? []).some((o) => o.activation === 'none') ||
    session.outputNames.every((n) => n.endsWith('_logits'));
  const input = session.inputMetadata?.[0] as { type?: string } | undefined;
  const pixels = input?.type === 'uint8';
  if (session.outputNames.length !== heads.length) {
    throw new Error(`${file}: ${session.outputNames.length} outputs but classes.json lists ${heads.length} heads`);
  }
  return {
    pixels,
    async run(data, shape) {
      const tensor = pixels
        ? new ort.Tensor('uint8', data as Uint8Array, shape)
        : new ort.Tensor('float32', data as Float32Array, shape);
      const res = await session.run({ [session.inputNames[0]!]: tensor });
      return session.outputNames.map((name, i) => {
        const out = Float32Array.from(res[name]!.data as Float32Array);
        return logits ? toProbs(out, heads[i]!) : out;
      });
    },
    release: () => session.release(),
  };
}

/** The float-input graph over every batch of `loader` (epoch 0), in loader order. */
export async function inferOnnx(
  model: OnnxModel,
  heads: HeadSpec[],
  loader: Loader,
  geometry: { height: number; width: number; channels: number },
  progress?: (done: number, total: number) => void,
): Promise<Inference> {
  const perHead: Float32Array[][] = heads.map(() => []);
  const paths: string[] = [];
  for await (const batch of loader.epoch(0)) {
    const outs = await model.run(batch.images, [batch.size, geometry.height, geometry.width, geometry.channels]);
    outs.forEach((o, h) => perHead[h]!.push(o));
    paths.push(...batch.paths);
    progress?.(paths.length, loader.count);
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  };
  return { probs: perHead.map(cat), labels: new Int32Array(0), paths };
}
