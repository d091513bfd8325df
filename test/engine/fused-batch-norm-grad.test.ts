/**
 * The replacement FusedBatchNorm gradient against tfjs-core's stock gradient (same inputs, cpu)
 * and against finite differences, for rank-4 and rank-2 inputs with and without scale/offset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { registerFusedBatchNormGrad, stockFusedBatchNormGrad } from '../../src/engine/ops/fused-batch-norm/gradient.ts';
import { closeness, randomValues, setupBackends } from './helpers.ts';

beforeAll(async () => {
  await setupBackends();
  registerFusedBatchNormGrad();
});

const cases = [
  { shape: [3, 5, 4, 6], scale: true },
  { shape: [2, 3, 3, 5], scale: false },
  { shape: [7, 5], scale: true },
];

function inputs(shape: number[], seed: number) {
  const c = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    x: tf.tensor(randomValues(size, seed), shape),
    mean: tf.tensor1d(randomValues(c, seed + 1).map((v) => v * 0.3)),
    variance: tf.tensor1d(randomValues(c, seed + 2).map((v) => 0.5 + Math.abs(v))),
    offset: tf.tensor1d(randomValues(c, seed + 3)),
    scale: tf.tensor1d(randomValues(c, seed + 4).map((v) => 1 + v * 0.5)),
    dy: tf.tensor(randomValues(size, seed + 5), shape),
  };
}

describe.each(['cpu', 'wasm'] as const)('FusedBatchNorm gradient on %s', (backend) => {
  it.each(cases)('matches the stock gradient for $shape (scale: $scale)', ({ shape, scale }) => {
    tf.setBackend(backend);
    const t = inputs(shape, 17);
    const saved = [t.x, t.mean, t.variance, scale ? t.scale : (null as unknown as tf.Tensor)];
    const attrs = { varianceEpsilon: 1e-3 };
    const ours = tf.getGradient('FusedBatchNorm').gradFunc(t.dy, saved, attrs);
    const theirs = stockFusedBatchNormGrad()!.gradFunc(t.dy, saved, attrs);
    expect(ours).not.toBe(theirs);
    // The stock dx for rank < 4 throws (it tiles a [1,1,1,C] reshape); its other partials still work.
    const keys = [...(shape.length === 4 ? ['x'] : []), 'mean', 'variance', 'offset', ...(scale ? ['scale'] : [])];
    for (const key of keys) {
      const a = ours[key]();
      const b = theirs[key]();
      expect(a.shape).toEqual(b.shape);
      expect(closeness(a.dataSync() as Float32Array, b.dataSync() as Float32Array, 1e-4, 1e-4)).toBeLessThan(1);
      tf.dispose([a, b]);
    }
    tf.dispose(Object.values(t));
    tf.setBackend('wasm');
  });
});

describe('FusedBatchNorm gradient vs finite differences (wasm)', () => {
  it.each([[[2, 3, 2, 4]], [[6, 4]]])('d/dvariance and d/dx of Σ batchNorm(x, μ, σ², β, γ)·r for %j', (shape) => {
    tf.setBackend('wasm');
    const t = inputs(shape, 31);
    const f = (x: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(x, t.mean, v, t.offset, t.scale, 1e-3), t.dy));
    const [gx, gv] = tf.grads(f)([t.x, t.variance]);
    const gxv = gx.dataSync();
    const gvv = gv.dataSync();
    const eps = 1e-2;
    for (const [which, idx] of [
      ['x', 5],
      ['x', 21],
      ['v', 1],
      ['v', 3],
    ] as const) {
      const base = (which === 'x' ? t.x : t.variance).dataSync().slice();
      const at = (delta: number) => {
        const values = base.slice();
        values[idx] += delta;
        const moved = tf.tensor(values, which === 'x' ? t.x.shape : t.variance.shape);
        const out = (which === 'x' ? f(moved, t.variance) : f(t.x, moved)).dataSync()[0];
        moved.dispose();
        return out;
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      const analytic = which === 'x' ? gxv[idx] : gvv[idx];
      expect(Math.abs(analytic - fd)).toBeLessThan(2e-3 + 2e-3 * Math.abs(fd));
    }
    tf.dispose([gx, gv, ...Object.values(t)]);
  });
});
