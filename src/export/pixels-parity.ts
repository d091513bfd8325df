/**
 * Deploy parity on images of other sizes: does model.onnx (uint8 `pixels` input, the resize and
 * normalisation inside the graph, run by onnxruntime-node) decide like `mlc-pipe predict` (our decode,
 * our float resize, the float32 tfjs model)? Each source image (a labelled split's, else synthetic) is
 * saved 3× larger and about ⅔ of the model's size, as JPEG and as PNG; both sides read those very
 * files. Only decoding is shared (sharp, as a deployer's decoder would be); the two resizes are
 * independent implementations of the same formula (src/data/image/resize.ts and ONNX Resize).
 * Passes when, per scaling direction, ≥ 99.5 % of head decisions agree and max |p difference| ≤ 0.01.
 * tf must have a backend before calling.
 */
import { isAbsolute, join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../engine/tf.ts';
import { MlcPipeError } from '../errors.ts';
import { headKind, type HeadSpec } from '../data/heads.ts';
import { readLabelFile } from '../data/labels.ts';
import { decodePixels } from '../data/image/decode.ts';
import { processImage } from '../data/image/pipeline.ts';
import { preprocessingChoice, type Preprocessing } from '../data/image/preprocessing.ts';
import { headPrediction } from '../report/metrics/categorical.ts';
import type { ExportMetadata } from './export-folder.ts';

export interface PixelsParityOptions {
  /** Labelled split whose images are the sources. Defaults to synthetic images. */
  split?: { labels: string; root?: string };
  /** Source images used at most (each gives 4 files). Defaults to 48. */
  samples?: number;
  /** Least share of agreeing head decisions per direction. Defaults to 0.995. */
  minAgreement?: number;
  /** Largest accepted |p difference| per direction. Defaults to 0.01. */
  maxProbDiff?: number;
}

export interface PixelsParityRow {
  /** `down` (3× the model's size) or `up` (~⅔ of it). */
  direction: 'down' | 'up';
  /** height×width of the files. */
  size: string;
  decisions: number;
  agreeing: number;
  maxProbDiff: number;
}

export interface PixelsParity {
  source: 'split' | 'synthetic';
  images: number;
  rows: PixelsParityRow[];
}

type Ort = typeof import('onnxruntime-node');

function probabilities(values: Float32Array, head: HeadSpec, logits: boolean): Float32Array {
  if (!logits) return values;
  const units = head.classes.length === 1 ? 1 : head.classes.length;
  const out = new Float32Array(values.length);
  if (headKind(head) === 'sigmoid') values.forEach((v, i) => (out[i] = 1 / (1 + Math.exp(-v))));
  else
    for (let n = 0; n < values.length / units; n++) {
      const row = values.subarray(n * units, (n + 1) * units);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => (out[n * units + k] = v / s));
    }
  return out;
}

/** Smooth gradients with digit-like strokes and noise: synthetic sources when no split is given. */
function syntheticImage(h: number, w: number, seed: number): Uint8Array {
  const px = new Uint8Array(h * w * 3);
  let s = seed * 2654435761 + 1;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const f = [rnd() * 6, rnd() * 6, rnd() * 6];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        px[(y * w + x) * 3 + c] = Math.max(
          0,
          Math.min(255, Math.round(128 + 90 * Math.sin((f[c]! * x) / w + (3 * y) / h) + 30 * (rnd() - 0.5))),
        );
  return px;
}

async function sources(
  p: Preprocessing,
  options: PixelsParityOptions,
): Promise<{ kind: 'split' | 'synthetic'; images: sharp.Sharp[] }> {
  const n = options.samples ?? 48;
  const grey = p.channels === 'L';
  if (options.split) {
    const records = (await readLabelFile(options.split.labels)).slice(0, n);
    const root = options.split.root ?? '.';
    const images = await Promise.all(
      records.map(async (r) => {
        const d = await decodePixels(isAbsolute(r.path) ? r.path : join(root, r.path), grey ? 1 : 3);
        return sharp(d.data, { raw: { width: d.width, height: d.height, channels: d.channels } });
      }),
    );
    if (images.length) return { kind: 'split', images };
  }
  const { height: h, width: w } = p.resize;
  return {
    kind: 'synthetic',
    images: Array.from({ length: n }, (_, i) =>
      sharp(syntheticImage(h, w, i + 1), { raw: { width: w, height: h, channels: 3 } }),
    ),
  };
}

/** Throws an MlcPipeError naming the first direction whose agreement or max |p difference| is past its limit. */
function assertParity(dir: string, result: PixelsParity, options: PixelsParityOptions): void {
  const minAgreement = options.minAgreement ?? 0.995;
  const maxProbDiff = options.maxProbDiff ?? 0.01;
  for (const r of result.rows) {
    if (r.agreeing / r.decisions < minAgreement || !(r.maxProbDiff <= maxProbDiff)) {
      throw new MlcPipeError(
        `${dir}: model.onnx (pixels input) and predict disagree on ${r.direction === 'down' ? 'larger' : 'smaller'} images (${r.size}): ${r.agreeing}/${r.decisions} decisions agree (need ≥ ${(100 * minAgreement).toFixed(1)} %), max |p difference| ${r.maxProbDiff.toExponential(2)} (limit ${maxProbDiff})`,
        {
          hint: "report the model config.json and the onnxruntime-node version; export with onnx_preprocess: false to ship the float model and preprocess with the card's steps",
        },
      );
    }
  }
}

/**
 * Runs the check on the export folder `dir` (its model.onnx must take `pixels`) against the float32
 * model `model` with `heads`; throws an MlcPipeError naming the failing direction.
 */
export async function checkPixelsParity(
  dir: string,
  meta: ExportMetadata,
  model: tf.LayersModel,
  heads: HeadSpec[],
  options: PixelsParityOptions = {},
): Promise<PixelsParity> {
  if (!meta.pixels)
    throw new MlcPipeError(`${dir}: model.onnx has no pixels input (exported with onnx_preprocess: false)`);
  const pre = meta.preprocessing;
  const choice = preprocessingChoice(pre);
  const spec = { ...choice, augment: null };
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = (mod.InferenceSession ? mod : mod.default!) as Ort;
  const session = await ort.InferenceSession.create(join(dir, meta.pixels.file));
  const { kind, images } = await sources(pre, options);
  const { height: H, width: W } = pre.resize;
  const variants: Array<{ direction: 'down' | 'up'; h: number; w: number; format: 'jpeg' | 'png' }> = [];
  for (const [direction, h, w] of [
    ['down', 3 * H, 3 * W],
    ['up', Math.round((2 * H) / 3), Math.round((2 * W) / 3)],
  ] as const) {
    for (const format of ['jpeg', 'png'] as const) variants.push({ direction, h, w, format });
  }
  const rows = new Map<'down' | 'up', PixelsParityRow>();
  try {
    for (const v of variants) {
      const files = await Promise.all(
        images.map((im) => im.clone().resize(v.w, v.h, { fit: 'fill' })[v.format]().toBuffer()),
      );
      // predict's path: our decode + resize + normalisation, the tfjs model
      const floats = await Promise.all(files.map((f, i) => processImage(new Uint8Array(f), spec, i)));
      const n = files.length;
      const batch = new Float32Array(n * H * W * choice.channels);
      floats.forEach((f, i) => batch.set(f, i * f.length));
      const ours = tf.tidy(() => {
        const out = model.predict(tf.tensor4d(batch, [n, H, W, choice.channels])) as tf.Tensor | tf.Tensor[];
        return (Array.isArray(out) ? out : [out]).map((t, i) =>
          probabilities(t.dataSync() as Float32Array, heads[i]!, true),
        );
      });
      // a deployer's path: decode only, model.onnx does the rest
      const decoded = await Promise.all(files.map((f) => decodePixels(new Uint8Array(f), choice.channels)));
      const pixels = new Uint8Array(n * v.h * v.w * choice.channels);
      decoded.forEach((d, i) => pixels.set(d.data, i * d.data.length));
      const res = await session.run({
        [meta.pixels.name]: new ort.Tensor('uint8', pixels, [n, v.h, v.w, choice.channels]),
      });
      const row = rows.get(v.direction) ?? {
        direction: v.direction,
        size: `${v.h}×${v.w}`,
        decisions: 0,
        agreeing: 0,
        maxProbDiff: 0,
      };
      meta.outputs.forEach((o, i) => {
        const got = probabilities(res[o.name]!.data as Float32Array, heads[i]!, o.activation === 'none');
        const want = ours[i]!;
        got.forEach((g, j) => (row.maxProbDiff = Math.max(row.maxProbDiff, Math.abs(g - want[j]!))));
        const units = heads[i]!.classes.length === 1 ? 1 : heads[i]!.classes.length;
        const a = headPrediction(got, units).pred;
        const b = headPrediction(want, units).pred;
        a.forEach((c, j) => {
          row.decisions++;
          if (c === b[j]) row.agreeing++;
        });
      });
      rows.set(v.direction, row);
    }
  } finally {
    await session.release();
  }
  const result: PixelsParity = { source: kind, images: images.length * variants.length, rows: [...rows.values()] };
  assertParity(dir, result, options);
  return result;
}
