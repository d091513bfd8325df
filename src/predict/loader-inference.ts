/**
 * Runs a trained model over every batch of a loader and gathers per-head probabilities, labels
 * and paths in loader order. Shared by the evaluate stage and `predict`.
 */
import type { Loader } from '../data/loader/create-loader.ts';
import type { HeadSpec } from '../data/heads.ts';
import type { tf as TF } from '../engine/tf.ts';

export interface Inference {
  /** Per head, N × units probabilities, row-major. */
  probs: Float32Array[];
  /** N × heads labels, as the loader read them. */
  labels: Int32Array;
  paths: string[];
}

export interface InferOptions {
  /** Input geometry of the model (from its config.json). */
  height: number;
  width: number;
  channels: number;
  /** Stops between batches when aborted. Defaults to none. */
  signal?: AbortSignal;
  /** Called after each batch with images done so far and the total. Defaults to none. */
  progress?: (done: number, total: number) => void;
}

function concat(
  parts: ArrayLike<number>[],
  Ctor: Float32ArrayConstructor | Int32ArrayConstructor,
): Float32Array | Int32Array {
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One pass over `loader` (epoch 0) through `model`; no tensor outlives a batch. */
export async function inferAll(
  model: TF.LayersModel,
  heads: HeadSpec[],
  loader: Loader,
  options: InferOptions,
): Promise<Inference> {
  const { tf } = await import('../engine/tf.ts');
  const { predictProbs } = await import('../model/probabilities.ts');
  const { compileInference } = await import('../model/inference/compile.ts');
  const perHead: Float32Array[][] = heads.map(() => []);
  const labels: Int32Array[] = [];
  const paths: string[] = [];
  let done = 0;
  // BN folded into fused conv kernels once; the weights do not change during a pass.
  const compiled = compileInference(model);
  try {
    for await (const batch of loader.epoch(0)) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const x = tf.tensor4d(batch.images, [batch.size, options.height, options.width, options.channels]);
      try {
        predictProbs(model, heads, x, compiled).forEach((p, h) => perHead[h]!.push(Float32Array.from(p)));
      } finally {
        x.dispose();
      }
      labels.push(batch.labels);
      paths.push(...batch.paths);
      done += batch.size;
      options.progress?.(done, loader.count);
    }
  } finally {
    compiled.dispose();
  }
  return {
    probs: perHead.map((parts) => concat(parts, Float32Array) as Float32Array),
    labels: concat(labels, Int32Array) as Int32Array,
    paths,
  };
}
