/**
 * Test helpers for the custom wasm kernels: deterministic data, running one kernel on a chosen
 * backend, and a finite-difference gradient of L = Σ forward(x, f) · r computed from the forward
 * conv only (independent of any backprop code).
 */
import { tf } from '../../src/engine/tf.ts';
import { initEngine } from '../../src/engine/index.ts';

/** Registers wasm (with the custom kernels) and cpu once; leaves wasm active. */
export async function setupBackends(): Promise<void> {
  await initEngine({ engine: 'cpu' });
  await initEngine({ engine: 'wasm' });
}

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function randomValues(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs kernel `name` on `backend` with float32 inputs given as {shape, values}; returns the output values. */
export function runOn(
  backend: 'cpu' | 'wasm',
  name: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: Record<string, unknown>,
): { shape: number[]; values: Float32Array } {
  tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape, 'float32');
  try {
    const out = tf.engine().runKernel(name, tensors, attrs as never) as tf.Tensor;
    const result = { shape: out.shape, values: out.dataSync() as Float32Array };
    out.dispose();
    return result;
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
    tf.setBackend('wasm');
  }
}

/** Largest |a−b| / (atol + rtol·|b|) over all elements; ≤ 1 means "close". */
export function closeness(a: Float32Array, b: Float32Array, atol = 1e-4, rtol = 1e-4): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return worst;
}

/**
 * Central finite differences of L(x, f) = Σ forward(x, f) ⊙ r with respect to input `wrt`, at
 * `count` sampled indices, using the forward kernel on the wasm backend and float64 sums.
 * Returns the sampled indices and the estimates.
 */
export function finiteDifferences(
  forward: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D,
  x: { shape: number[]; values: Float32Array },
  f: { shape: number[]; values: Float32Array },
  r: Float32Array,
  wrt: 'x' | 'f',
  count: number,
  seed: number,
  eps = 1e-2,
): { index: number[]; estimate: number[] } {
  const loss = (xv: Float32Array, fv: Float32Array): number => {
    const y = tf.tidy(() => forward(tf.tensor4d(xv, x.shape as never), tf.tensor4d(fv, f.shape as never)));
    const yv = y.dataSync();
    y.dispose();
    let s = 0;
    for (let i = 0; i < yv.length; i++) s += yv[i] * r[i];
    return s;
  };
  const target = wrt === 'x' ? x.values : f.values;
  const picks = randomValues(count, seed).map((u) => Math.floor(((u + 1) / 2) * target.length));
  const index: number[] = [];
  const estimate: number[] = [];
  for (const i of picks) {
    const plus = target.slice();
    const minus = target.slice();
    plus[i] += eps;
    minus[i] -= eps;
    const lp = wrt === 'x' ? loss(plus, f.values) : loss(x.values, plus);
    const lm = wrt === 'x' ? loss(minus, f.values) : loss(x.values, minus);
    index.push(i);
    estimate.push((lp - lm) / (2 * eps));
  }
  return { index, estimate };
}

export { size };
