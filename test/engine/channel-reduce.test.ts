/**
 * Per-channel Sum/Mean on wasm (src/engine/wasm/channel-reduce.ts): against float64 sums
 * computed here and against the cpu backend, including shapes the fast path leaves to the stock
 * kernel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { closeness, randomValues, runOn, setupBackends, size } from './helpers.ts';

beforeAll(setupBackends);

/** Σ over all but the last axis, in float64. */
function channelSums(values: Float32Array, c: number): Float64Array {
  const out = new Float64Array(c);
  for (let i = 0; i < values.length; i++) out[i % c] += values[i];
  return out;
}

describe('wasm per-channel Sum / Mean', () => {
  // Rows (product of the leading dims) below, at and above the 64-row float32 blocks; rank 2–4.
  const shapes = [
    [3, 4],
    [2, 8, 4, 12],
    [5, 13, 7, 8],
    [64, 16],
    [2, 33, 65, 4],
    [1, 1, 1, 20],
  ];
  it.each(
    shapes.flatMap(
      (s) =>
        [
          [JSON.stringify(s), s, 'Sum'],
          [JSON.stringify(s), s, 'Mean'],
        ] as const,
    ),
  )('%s %s matches float64 sums and cpu', (_, shape, op) => {
    const x = { shape: [...shape], values: randomValues(size([...shape]), 3).map((v) => v + 0.5) };
    const axis = shape.slice(0, -1).map((_, i) => i);
    const wasm = runOn('wasm', op, { x }, { axis, keepDims: false });
    const cpu = runOn('cpu', op, { x }, { axis, keepDims: false });
    const c = shape[shape.length - 1];
    const rows = size([...shape]) / c;
    const want = Float32Array.from(channelSums(x.values, c), (v) => (op === 'Mean' ? v / rows : v));
    expect(wasm.shape).toEqual([c]);
    expect(closeness(wasm.values, want, 1e-6, 1e-6)).toBeLessThan(1);
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });

  it('keeps dims, accepts negative axes in any order, and stays accurate over 1M rows', () => {
    const shape = [4, 512, 512, 4];
    const x = { shape, values: new Float32Array(size(shape)).map((_, i) => 1 + (i % 7) * 1e-3) };
    const out = runOn('wasm', 'Sum', { x }, { axis: [-2, 0, 1], keepDims: true });
    expect(out.shape).toEqual([1, 1, 1, 4]);
    const want = Float32Array.from(channelSums(x.values, 4));
    // A plain float32 running sum of 1M values near 1 is off by ~1e-3 relative; the blocked sum is exact to rounding.
    expect(closeness(out.values, want, 0, 1e-6)).toBeLessThan(1);
  });

  it.each([
    ['channels not a multiple of 4', [2, 3, 5], [0, 1]],
    ['reducing the channels', [2, 3, 8], [2]],
    ['reducing only the batch', [4, 3, 8], [0]],
  ])('leaves %s to the stock kernel (same result as cpu)', (_, shape, axis) => {
    const x = { shape: shape as number[], values: randomValues(size(shape as number[]), 5) };
    for (const op of ['Sum', 'Mean']) {
      const wasm = runOn('wasm', op, { x }, { axis, keepDims: false });
      const cpu = runOn('cpu', op, { x }, { axis, keepDims: false });
      expect(wasm.shape).toEqual(cpu.shape);
      expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
    }
  });

  it('leaks no tensors', () => {
    tf.setBackend('wasm');
    const x = tf.randomNormal([8, 9, 10, 16]);
    tf.tidy(() => tf.sum(x, [0, 1, 2]).dataSync()); // warm up
    const before = tf.memory().numTensors;
    const bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 5; i++)
      tf.tidy(() => {
        tf.mean(x, [0, 1, 2]).dataSync();
        tf.sum(x, [0, 1, 2], true).dataSync();
      });
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytes);
    x.dispose();
  });
});
