/**
 * Measured inference latency of a model: the median wall time of `runs` forward passes of one
 * batch through the compiled inference graph (what evaluate and predict run), after `warmup`
 * untimed passes. Milliseconds; depends on the machine and backend, so compare numbers measured
 * in one process.
 */
import { tf } from '../engine/tf.ts';
import { compileInference } from '../model/inference/compile.ts';
import { latencyRecord, writeLatencySidecar, type LatencyRecord } from './latency-sidecar.ts';

export interface LatencyOptions {
  /** Images per forward pass. Defaults to 1. */
  batchSize?: number;
  /** Timed passes. Defaults to 10. */
  runs?: number;
  /** Untimed passes first. Defaults to 2. */
  warmup?: number;
}

export interface Latency {
  batchSize: number;
  runs: number;
  /** Median milliseconds per pass. */
  medianMs: number;
}

export async function measureLatency(model: tf.LayersModel, options: LatencyOptions = {}): Promise<Latency> {
  const batchSize = options.batchSize ?? 1;
  const runs = options.runs ?? 10;
  const shape = [batchSize, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 0);
  const compiled = compileInference(model);
  try {
    const once = async () => {
      const out = compiled.predict(x as tf.Tensor4D);
      const list = Array.isArray(out) ? out : [out];
      await Promise.all(list.map((t) => t.data()));
      tf.dispose(list);
    };
    for (let i = 0; i < (options.warmup ?? 2); i++) await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = Math.floor(times.length / 2);
    return { batchSize, runs, medianMs: times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2 };
  } finally {
    compiled.dispose();
    x.dispose();
  }
}

/** Measures batch-1 latency of `model` (`runs` timed passes) and writes it to the unhashed sidecar `file` (latency-sidecar.ts). */
export async function measureToSidecar(
  model: tf.LayersModel,
  file: string,
  runs: number,
  about: Pick<LatencyRecord, 'model' | 'model sha256' | 'engine'>,
): Promise<LatencyRecord> {
  const l = await measureLatency(model, { runs });
  const record = latencyRecord({ ...about, batch_size: l.batchSize, runs: l.runs, median_ms: l.medianMs });
  await writeLatencySidecar(file, record);
  return record;
}
