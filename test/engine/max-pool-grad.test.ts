/**
 * Custom wasm MaxPoolGrad against the cpu backend, including tied maxima (ReLU-clipped inputs):
 * channel counts that are multiples of 4 take the SIMD pass, the others the JS pass.
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
  { shape: [2, 9, 13, 8], k: 3, s: 2, pad: 'same' },
  { shape: [1, 6, 6, 12], k: 2, s: 2, pad: 'valid' },
  { shape: [3, 5, 7, 16], k: 3, s: 1, pad: 'same' },
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
