/**
 * Mixed precision (issue #22), kernel by kernel: every op the addon runs in bf16 under
 * `precision: bf16` (native/src/precision.cc: Conv2D, depthwise, FusedConv2D with bias and
 * activations, their input and filter gradients, the stem conv that reads the image batch
 * channels-last, the small-output filter gradient, BatchMatMul with its transpose flags and
 * _FusedMatMul) gives the float32 result within a bf16 tolerance, and does run in bf16: at float32's
 * tolerance it differs (a cast that silently did not happen would pass the first check alone).
 * Every result reaches tfjs as float32, and nothing runs on the cpu fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';
import { fallbackCounts, resetFallbackCounts } from '../../src/engine/native/kernels/fallback.ts';
import { randomValues, size } from './helpers.ts';
import { Adam } from '../../src/train/optimizers/adam.ts';
import { available, errorRatio, setupNative, type Output, type Program, type Values } from './native/compare.ts';

/** Runs `program` on native at `precision`; returns its outputs (dtype, shape, values). */
export function runAt(precision: 'fp32' | 'bf16', program: Program): Output[] {
  loadAddon().addon!.setPrecision(precision);
  resetFallbackCounts();
  try {
    const tensors = tf.tidy(() => [program()].flat());
    const outputs = tensors.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, values: t.dataSync() as Values }));
    tf.dispose(tensors);
    expect(Object.fromEntries(fallbackCounts()), 'kernels that ran on the cpu fallback').toEqual({});
    return outputs;
  } finally {
    loadAddon().addon!.setPrecision('fp32');
  }
}

// bf16 keeps 8 significant bits: each input is rounded by up to 2^-9 relative; a sum of K such
// products errs by ~2^-9·sqrt(K) of its terms' size. 3e-2 of the output's largest value (atol)
// plus 2e-2 relative covers K up to ~600 (a 5x5x24 conv); a wrong kernel is off by O(max).
const BF16 = { atol: 3e-2, rtol: 2e-2 };
// Float32's own tolerance: a bf16 result is farther than this from the float32 one.
const FP32 = { atol: 1e-5, rtol: 1e-5 };

function expectBf16Tracks(program: Program): void {
  const want = runAt('fp32', program);
  const got = runAt('bf16', program);
  expect(got.map((o) => [o.dtype, o.shape])).toEqual(want.map((o) => [o.dtype, o.shape]));
  got.forEach((o, i) => {
    expect(o.dtype).toBe('float32');
    expect(
      errorRatio(o.values, want[i]!.values, BF16),
      `output ${i} [${o.shape}] within bf16 tolerance`,
    ).toBeLessThanOrEqual(1);
    expect(errorRatio(o.values, want[i]!.values, FP32), `output ${i} [${o.shape}] computed in bf16`).toBeGreaterThan(1);
  });
}

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  pad: 'same' | 'valid';
  depthwise?: boolean;
}

/** conv(x, f), then the gradients of Σ conv(x, f)·r with respect to x and f. */
function convProgram(c: Case, seed: number): Program {
  const fShape = c.depthwise ? [c.k, c.k, c.cin, c.cout / c.cin] : [c.k, c.k, c.cin, c.cout];
  const xShape = [c.n, c.h, c.w, c.cin];
  const info = tf.backend_util.computeConv2DInfo(xShape as never, [c.k, c.k, c.cin, c.cout] as never, c.s, 1, c.pad);
  const x = randomValues(size(xShape), seed),
    f = randomValues(size(fShape), seed + 1),
    r = randomValues(size(info.outShape), seed + 2);
  const conv = (a: tf.Tensor4D, b: tf.Tensor4D) =>
    c.depthwise ? tf.depthwiseConv2d(a, b, c.s, c.pad) : tf.conv2d(a, b, c.s, c.pad);
  return () => {
    const xt = tf.tensor4d(x, xShape as never),
      ft = tf.tensor4d(f, fShape as never),
      rt = tf.tensor4d(r, info.outShape);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), rt)),
    )([xt, ft]);
    return [conv(xt, ft), dx!, df!];
  };
}

const cases: [string, Case][] = [
  // The stem: an image batch from JS (≤ 4 channels, row-major) is read channels-last.
  ['stem 3->8 k3 s2 same (asymmetric)', { n: 2, h: 16, w: 12, cin: 3, cout: 8, k: 3, s: 2, pad: 'same' }],
  ['16->24 k3 s1 same', { n: 3, h: 9, w: 10, cin: 16, cout: 24, k: 3, s: 1, pad: 'same' }],
  ['24->16 k5 s2 valid', { n: 2, h: 11, w: 12, cin: 24, cout: 16, k: 5, s: 2, pad: 'valid' }],
  ['16->32 k1 s1 (1x1)', { n: 2, h: 6, w: 5, cin: 16, cout: 32, k: 1, s: 1, pad: 'valid' }],
  // ≤ 10 output positions per image: the filter gradient's im2col-GEMM path.
  ['16->16 k3 at 2x5 (small-output filter gradient)', { n: 3, h: 2, w: 5, cin: 16, cout: 16, k: 3, s: 1, pad: 'same' }],
  ['depthwise 16 x2 k3 s1 same', { n: 2, h: 9, w: 10, cin: 16, cout: 32, k: 3, s: 1, pad: 'same', depthwise: true }],
  ['depthwise 16 x1 k3 s2 same', { n: 2, h: 9, w: 10, cin: 16, cout: 16, k: 3, s: 2, pad: 'same', depthwise: true }],
];

beforeAll(async () => {
  if (available) await setupNative();
});
afterAll(() => {
  if (available) loadAddon().addon!.setPrecision('fp32');
});

describe.skipIf(!available)('bf16 kernels track fp32', () => {
  it.each(cases)('conv and its gradients: %s', (_, c) => expectBf16Tracks(convProgram(c, 31)));

  it.each(['linear', 'relu', 'elu', 'prelu', 'sigmoid'] as const)(
    'FusedConv2D with bias, %s, and its gradients',
    (activation) => {
      const xShape = [2, 8, 9, 16],
        fShape = [3, 3, 16, 12];
      const x = randomValues(size(xShape), 41),
        f = randomValues(size(fShape), 42),
        b = randomValues(12, 43),
        alpha = randomValues(12, 44);
      expectBf16Tracks(() => {
        const xt = tf.tensor4d(x, xShape as never),
          ft = tf.tensor4d(f, fShape as never),
          bt = tf.tensor1d(b);
        const prelu = activation === 'prelu' ? tf.tensor1d(alpha) : undefined;
        const y = (a: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
          tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias,
            activation,
            ...(prelu ? { preluActivationWeights: prelu } : {}),
          });
        const [dx, df, db] = tf.grads((a: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
          tf.sum(tf.square(y(a, w, bias))),
        )([xt, ft, bt]);
        return [y(xt, ft, bt), dx!, df!, db!];
      });
    },
  );

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)('BatchMatMul transposeA %s transposeB %s, and its gradients', (ta, tb) => {
    const a = randomValues(3 * 20 * 40, 51),
      b = randomValues(3 * 40 * 24, 52);
    const aShape = ta ? [3, 40, 20] : [3, 20, 40],
      bShape = tb ? [3, 24, 40] : [3, 40, 24];
    expectBf16Tracks(() => {
      const at = tf.tensor3d(a, aShape as never),
        bt = tf.tensor3d(b, bShape as never);
      const f = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D, ta, tb);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(f(p, q))))([at, bt]);
      return [f(at, bt), da!, db!];
    });
  });

  it('_FusedMatMul (a dense layer: bias and relu in float32) and its gradients', () => {
    const x = randomValues(16 * 64, 61),
      w = randomValues(64 * 10, 62),
      b = randomValues(10, 63);
    expectBf16Tracks(() => {
      const xt = tf.tensor2d(x, [16, 64]),
        wt = tf.tensor2d(w, [64, 10]),
        bt = tf.tensor1d(b);
      const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
        tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation: 'relu' });
      const [dx, dw, db] = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(f(p, q, r))))([
        xt,
        wt,
        bt,
      ]);
      return [f(xt, wt, bt), dx!, dw!, db!];
    });
  });

  it.each([false, true])(
    'an in-place optimizer step of a filter (depthwise %s) is seen by the next bf16 conv (the cast copy is per weight version)',
    (depthwise) => {
      const xShape = [2, 7, 8, 4],
        fShape = depthwise ? [3, 3, 4, 2] : [3, 3, 4, 6];
      const x = randomValues(size(xShape), 71);
      const conv = (a: tf.Tensor4D, f: tf.Tensor4D) =>
        depthwise ? tf.depthwiseConv2d(a, f, 1, 'same') : tf.conv2d(a, f, 1, 'same');
      const fresh = (values: Float32Array) =>
        runAt('bf16', () => conv(tf.tensor4d(x, xShape as never), tf.tensor4d(values, fShape as never)))[0]!.values;
      const f = tf.tidy(() => tf.variable(tf.tensor4d(randomValues(size(fShape), 72), fShape as never)));
      const opt = new Adam({ learningRate: 0.05 });
      const xt = tf.tensor4d(x, xShape as never);
      const ids: object[] = [];
      try {
        for (let step = 0; step < 3; step++) {
          const y = runAt('bf16', () => conv(xt, f))[0]!.values;
          expect(Array.from(y), `step ${step}`).toEqual(Array.from(fresh(f.dataSync() as Float32Array)));
          loadAddon().addon!.setPrecision('bf16');
          tf.tidy(() =>
            opt.applyGradients([tf.grads((b: tf.Tensor) => tf.sum(conv(xt, b as tf.Tensor4D)))([f])[0]!], [f], ['f']),
          );
          loadAddon().addon!.setPrecision('fp32');
          ids.push(f.dataId);
        }
        // The updates after Adam's first were in place: same buffer, new values.
        expect(new Set(ids.slice(1)).size).toBe(1);
      } finally {
        tf.dispose([f, xt]);
        opt.dispose();
      }
    },
  );
});
