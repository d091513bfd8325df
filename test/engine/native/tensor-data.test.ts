/**
 * The native backend's tensor storage: values round-trip exactly per dtype (NaN, ±0, ±Inf, int32
 * extremes, bool), through dataSync and the async data(); strings stay JS values; tensors made on
 * cpu move to native when used there (and back); disposing frees libtorch's buffer; the intra-op
 * thread count changes results only within rounding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { nativeMemory } from '../../../src/engine/native/backend.ts';
import { setNativeThreads } from '../../../src/engine/start/backends/native.ts';
import { randomValues } from '../helpers.ts';
import { available, errorRatio, runOn, setupNative } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

describe.skipIf(!available)('native tensor data', () => {
  it('float32, int32 and bool values round-trip exactly (dataSync and data())', async () => {
    tf.setBackend('native');
    const floats = new Float32Array([NaN, 0, -0, Infinity, -Infinity, 1.5e-45, 3.4028234663852886e38, -1.25]);
    const ints = new Int32Array([-2147483648, 2147483647, 0, -1, 7]);
    const bools = new Uint8Array([1, 0, 1]);
    const ts = [tf.tensor(floats, [2, 4]), tf.tensor(ints, [5], 'int32'), tf.tensor(bools, [3], 'bool')];
    try {
      expect(ts.map((t) => t.dtype)).toEqual(['float32', 'int32', 'bool']);
      for (const [t, want] of [
        [ts[0]!, floats],
        [ts[1]!, ints],
        [ts[2]!, bools],
      ] as const) {
        const sync = t.dataSync();
        expect(sync.constructor).toBe(want.constructor);
        expect(Array.from(sync).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(
          Array.from(want).map((v) => (Object.is(v, -0) ? '-0' : String(v))),
        );
        expect(Array.from(await t.data())).toEqual(Array.from(sync));
      }
      expect(await ts[0]!.array()).toEqual([Array.from(floats.slice(0, 4)), Array.from(floats.slice(4))]);
    } finally {
      tf.dispose(ts);
    }
  });

  it('string tensors stay JS values and still work with the ops that accept strings (cpu fallback)', () => {
    const { outputs, fallbacks } = runOn('native', () => tf.reshape(tf.tensor(['a', 'bc', 'déf', '']), [2, 2]));
    expect(outputs[0]).toMatchObject({ dtype: 'string', shape: [2, 2] });
    expect(Array.from(outputs[0]!.values as unknown as string[])).toEqual(['a', 'bc', 'déf', '']);
    expect(Object.keys(fallbacks)).toEqual(['Reshape']);
  });

  it('a tensor made on cpu moves to native when an op uses it there, and back', () => {
    tf.setBackend('cpu');
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const i = tf.tensor1d([3, -4], 'int32');
    tf.setBackend('native');
    const start = nativeMemory();
    const b = tf.add(a, tf.tensor1d([10, 20, 30]));
    const j = tf.mul(i, tf.scalar(2, 'int32'));
    try {
      expect(Array.from(b.dataSync())).toEqual([11, 22, 33, 14, 25, 36]);
      expect(Array.from(j.dataSync())).toEqual([6, -8]);
      expect(nativeMemory().tensors).toBeGreaterThan(start.tensors);
      tf.setBackend('cpu');
      expect(Array.from(tf.tidy(() => tf.sub(b, 1).dataSync()))).toEqual([10, 21, 32, 13, 24, 35]);
    } finally {
      tf.dispose([a, i, b, j]);
      tf.setBackend('native');
    }
  });

  it('disposing frees the libtorch buffer; a clone shares it until the last reference goes', () => {
    tf.setBackend('native');
    const start = nativeMemory();
    const a = tf.tensor1d(new Float32Array(1000));
    expect(nativeMemory()).toEqual({ tensors: start.tensors + 1, bytes: start.bytes + 4000 });
    const b = tf.clone(a);
    expect(nativeMemory()).toEqual({ tensors: start.tensors + 1, bytes: start.bytes + 4000 });
    a.dispose();
    expect(b.dataSync()).toHaveLength(1000);
    b.dispose();
    expect(nativeMemory()).toEqual(start);
  });

  it('results with 2 intra-op threads equal those with 1 within rounding', () => {
    const x = randomValues(3 * 11 * 12 * 5, 1);
    const f = randomValues(3 * 3 * 5 * 7, 2);
    const program = () => {
      const xt = tf.tensor4d(x, [3, 11, 12, 5]);
      const ft = tf.tensor4d(f, [3, 3, 5, 7]);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
      )([xt, ft]);
      return [tf.conv2d(xt, ft, 2, 'same'), dx!, df!, tf.sum(xt, [0, 1, 2])];
    };
    const one = runOn('native', program).outputs;
    expect(setNativeThreads(2)).toBe(2);
    try {
      const two = runOn('native', program).outputs;
      two.forEach((o, i) =>
        expect(errorRatio(o.values, one[i]!.values, { atol: 3e-5, rtol: 1e-5 })).toBeLessThanOrEqual(1),
      );
    } finally {
      expect(setNativeThreads(1)).toBe(1);
    }
  });
});

afterAll(() => {
  if (available) setNativeThreads(1);
});
