/**
 * Black-box checks of the native engine (src/engine/native) through tfjs ops: the same program
 * runs on the native and the cpu backend (tfjs' reference kernels) and the outputs must agree in
 * shape, dtype and value, and the native run must have stayed native (no kernel on the cpu
 * fallback, ../../../src/engine/native/kernels/fallback.ts).
 */
import { expect } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { initEngine } from '../../../src/engine/index.ts';
import { loadAddon } from '../../../src/engine/native/addon.ts';
import { fallbackCounts, resetFallbackCounts } from '../../../src/engine/native/kernels/fallback.ts';
import { closeness } from '../helpers.ts';

/** True when the addon is built and loads (the native suites skip otherwise). */
export const available = loadAddon().addon != null;

/**
 * Registers cpu, then starts native with one intra-op thread (the test machine's cores are
 * shared, and one thread makes libtorch's reductions deterministic); leaves native active.
 */
export async function setupNative(): Promise<void> {
  await initEngine({ engine: 'cpu' });
  await initEngine({ engine: 'native', threads: 1 });
}

export type Values = Float32Array | Int32Array | Uint8Array;
export interface Output {
  shape: number[];
  dtype: string;
  values: Values;
}

/** A program builds its inputs from plain arrays and returns the tensors to compare. */
export type Program = () => tf.Tensor | tf.Tensor[];

/** Runs `program` on `backend` (in a tidy); returns its outputs and the fallback kernels it used. */
export function runOn(
  backend: 'cpu' | 'native',
  program: Program,
): { outputs: Output[]; fallbacks: Record<string, number> } {
  tf.setBackend(backend);
  resetFallbackCounts();
  const tensors = tf.tidy(() => {
    const out = program();
    return Array.isArray(out) ? out : [out];
  });
  try {
    const outputs = tensors.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, values: t.dataSync() as Values }));
    return { outputs, fallbacks: Object.fromEntries(fallbackCounts()) };
  } finally {
    tf.dispose(tensors);
    tf.setBackend('native');
  }
}

/**
 * Tolerance of float outputs: |native − cpu| ≤ atol·max(1, max|cpu|) + rtol·|cpu| per element.
 * The floor scales with the output's largest value because float32 rounding of a sum grows with
 * the sum's terms, not with the element (a small element of a large sum carries the same absolute
 * error); a wrong kernel (padding off by one, a swapped axis) is off by O(max|cpu|).
 */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

function maxAbs(v: Values): number {
  let m = 0;
  for (const x of v) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

/** Worst error of `got` against `want` in units of the tolerance (≤ 1 passes); NaN/±Inf must match exactly. */
export function errorRatio(got: Values, want: Values, tol: Tolerance = {}): number {
  const a = Float32Array.from(got);
  const b = Float32Array.from(want);
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) {
      if (!Object.is(a[i], b[i])) return Number.POSITIVE_INFINITY;
      a[i] = 0;
      b[i] = 0;
    }
  }
  return closeness(a, b, (tol.atol ?? 1e-5) * Math.max(1, maxAbs(want)), tol.rtol ?? 1e-5);
}

/**
 * Runs `program` on cpu and native and expects: no fallback kernel on native, the same shapes
 * and dtypes, equal int32/bool values and float values within `tol`. Returns both outputs.
 */
export function expectNativeMatchesCpu(program: Program, tol: Tolerance = {}): { cpu: Output[]; native: Output[] } {
  const cpu = runOn('cpu', program);
  const native = runOn('native', program);
  expect(native.fallbacks, 'kernels that ran on the cpu fallback').toEqual({});
  expect(native.outputs.map((o) => [o.dtype, o.shape])).toEqual(cpu.outputs.map((o) => [o.dtype, o.shape]));
  native.outputs.forEach((o, i) => {
    const want = cpu.outputs[i]!;
    if (o.dtype === 'float32') {
      expect(errorRatio(o.values, want.values, tol), `output ${i} (${o.dtype}[${o.shape}])`).toBeLessThanOrEqual(1);
    } else {
      expect(Array.from(o.values), `output ${i} (${o.dtype}[${o.shape}])`).toEqual(Array.from(want.values));
    }
  });
  return { cpu: cpu.outputs, native: native.outputs };
}
