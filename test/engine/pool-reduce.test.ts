/**
 * Custom wasm MaxPoolGrad and the per-channel Sum/Mean fast path against the cpu backend,
 * including tied maxima (ReLU-clipped inputs) and reductions that must fall back to the stock kernel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { closeness, randomValues, runOn, setupBackends, size } from './helpers.ts';
import { tf } from '../../src/engine/tf.ts';

beforeAll(setupBackends);

const pools = [
  { shape: [3, 9, 7, 5], k: 3, s: 2, pad: 'same' },
  { shape: [1, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
  { shape: [2, 7, 10, 6], k: 3, s: 1, pad: 'same' },
  { shape: [3, 11, 9, 4], k: 3, s: 2, pad: 'valid' },
] as const;

describe('wasm MaxPoolGrad', () => {
  it.each(pools.flatMap((p) => [{ ...p, ties: false }, { ...p, ties: true }]))(
    'matches cpu: $shape k$k s$s $pad ties=$ties', ({ shape, k, s, pad, ties }) => {
      const xv = randomValues(size([...shape]), 5).map((v) => (ties ? Math.max(0, Math.round(v * 2) / 2) : v));
      tf.setBackend('cpu');
      const y = tf.maxPool(tf.tensor4d(xv, [...shape] as never), k, s, pad);
      const yv = { shape: y.shape, values: y.dataSync() as Float32Array };
      y.dispose();
      tf.setBackend('wasm');
      const inputs = { dy: { shape: yv.shape, values: randomValues(size(yv.shape), 9) }, input: { shape: [...shape], values: xv }, output: yv };
      const attrs = { filterSize: k, strides: s, pad };
      const cpu = runOn('cpu', 'MaxPoolGrad', inputs, attrs);
      const wasm = runOn('wasm', 'MaxPoolGrad', inputs, attrs);
      expect(wasm.shape).toEqual([...shape]);
      expect(closeness(wasm.values, cpu.values, 1e-6, 1e-6)).toBeLessThan(1);
    });
});

describe.each(['Sum', 'Mean'])('wasm %s', (kernel) => {
  it.each([
    { shape: [4, 6, 5, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 6, 5, 7], axis: [2, 0, -3], keepDims: true },
    { shape: [9, 3], axis: 0, keepDims: false },
    { shape: [4, 6, 5, 7], axis: [1, 2], keepDims: false },
    { shape: [4, 6, 5, 7], axis: [3], keepDims: true },
  ])('matches cpu over axis $axis of $shape (keepDims $keepDims)', ({ shape, axis, keepDims }) => {
    const x = { shape, values: randomValues(size(shape), 3).map((v) => v + 10) };
    const cpu = runOn('cpu', kernel, { x }, { axis, keepDims });
    const wasm = runOn('wasm', kernel, { x }, { axis, keepDims });
    expect(wasm.shape).toEqual(cpu.shape);
    expect(closeness(wasm.values, cpu.values, 1e-5, 1e-5)).toBeLessThan(1);
  });
});
