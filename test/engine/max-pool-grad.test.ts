/**
 * Custom wasm MaxPoolGrad against the cpu backend, including tied maxima (ReLU-clipped inputs):
 * channel counts that are multiples of 4 take the SIMD pass, the others the JS pass.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { closeness, finiteDifferences, randomValues, runOn, setupBackends, size } from './helpers.ts';
import { tf } from '../../src/engine/tf.ts';

beforeAll(setupBackends);

const pools = [
  { shape: [3, 9, 7, 5], k: 3, s: 2, pad: 'same' },
  { shape: [1, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
  { shape: [2, 7, 10, 6], k: 3, s: 1, pad: 'same' },
  { shape: [3, 11, 9, 4], k: 3, s: 2, pad: 'valid' },
  { shape: [2, 9, 13, 8], k: 3, s: 2, pad: 'same' },
  { shape: [1, 6, 6, 12], k: 2, s: 2, pad: 'valid' },
  { shape: [3, 5, 7, 16], k: 3, s: 1, pad: 'same' },
] as const;

describe('wasm MaxPoolGrad', () => {
  it.each(
    pools.flatMap((p) => [
      { ...p, ties: false },
      { ...p, ties: true },
    ]),
  )('matches cpu: $shape k$k s$s $pad ties=$ties', ({ shape, k, s, pad, ties }) => {
    const xv = randomValues(size([...shape]), 5).map((v) => (ties ? Math.max(0, Math.round(v * 2) / 2) : v));
    tf.setBackend('cpu');
    const y = tf.maxPool(tf.tensor4d(xv, [...shape] as never), k, s, pad);
    const yv = { shape: y.shape, values: y.dataSync() as Float32Array };
    y.dispose();
    tf.setBackend('wasm');
    const inputs = {
      dy: { shape: yv.shape, values: randomValues(size(yv.shape), 9) },
      input: { shape: [...shape], values: xv },
      output: yv,
    };
    const attrs = { filterSize: k, strides: s, pad };
    const cpu = runOn('cpu', 'MaxPoolGrad', inputs, attrs);
    const wasm = runOn('wasm', 'MaxPoolGrad', inputs, attrs);
    expect(wasm.shape).toEqual([...shape]);
    expect(closeness(wasm.values, cpu.values, 1e-6, 1e-6)).toBeLessThan(1);
  });
});

describe('wasm MaxPoolGrad vs finite differences', () => {
  // Values at least 0.05 apart (a shuffled ramp), so a ±0.01 step never changes a window's argmax.
  it.each([pools[4], pools[6], pools[0]])('$shape k$k s$s $pad', ({ shape, k, s, pad }) => {
    const count = size([...shape]);
    const order = Array.from(randomValues(count, 21), (u, i) => [u, i] as const).sort((a, b) => a[0] - b[0]);
    const xv = new Float32Array(count);
    order.forEach(([, i], rank) => (xv[i] = rank * 0.05 - count * 0.025));
    tf.setBackend('wasm');
    const y = tf.maxPool(tf.tensor4d(xv, [...shape] as never), k, s, pad);
    const yv = { shape: y.shape, values: y.dataSync() as Float32Array };
    y.dispose();
    const r = randomValues(size(yv.shape), 23);
    const x = { shape: [...shape], values: xv };
    const dx = runOn(
      'wasm',
      'MaxPoolGrad',
      { dy: { shape: yv.shape, values: r }, input: x, output: yv },
      { filterSize: k, strides: s, pad },
    ).values;
    const fd = finiteDifferences(
      (a) => tf.maxPool(a, k, s, pad),
      x,
      { shape: [1, 1, 1, 1], values: new Float32Array(1) },
      r,
      'x',
      40,
      29,
    );
    expect(fd.estimate.some((e) => Math.abs(e) > 0.1)).toBe(true); // some picks are window maxima
    fd.index.forEach((idx, j) =>
      expect(Math.abs(dx[idx]! - fd.estimate[j]!)).toBeLessThan(2e-3 + 2e-3 * Math.abs(fd.estimate[j]!)),
    );
  });
});
