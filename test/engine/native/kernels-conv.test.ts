/**
 * Native convolutions against the cpu backend: Conv2D, depthwise (multiplier 1 and 2) and
 * FusedConv2D / FusedDepthwiseConv2D (bias, every fused activation), forward and the gradients of
 * L = Σ y·r with respect to x, filter and bias (Conv2DBackpropInput/Filter and the depthwise
 * forms), over a grid of batch 1 and 3, strides 1 and 2, 'same' and 'valid', kernels 1…9 and
 * channel counts that are not multiples of 4. Images are 11×12: with stride 2 the even width makes
 * tfjs' 'same' padding asymmetric (one more column on the right), the odd height symmetric, so
 * both padding paths of the addon run. Each native run must stay native (no cpu fallback).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { randomValues, size } from '../helpers.ts';
import { fusedAdamUpdate } from '../../../src/engine/ops/fused-adam/fused-adam.ts';
import { available, errorRatio, expectNativeMatchesCpu, setupNative, type Tolerance } from './compare.ts';

type Pad = 'same' | 'valid';
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  pad: Pad;
  dilation?: number;
}

const label = (c: Case) =>
  `n${c.n} ${c.h}x${c.w}x${c.cin}->${c.cout} k${c.k} s${c.s} ${c.pad}${c.dilation ? ` d${c.dilation}` : ''}`;

// Channel pairs rotate through the grid so that every kernel size meets several of them.
const channelPairs = [
  [3, 5],
  [5, 7],
  [7, 3],
  [6, 5],
] as const;
const grid: Case[] = [];
for (const n of [1, 3])
  for (const s of [1, 2])
    for (const pad of ['same', 'valid'] as const) {
      for (const [i, k] of [1, 3, 5, 7, 9].entries()) {
        const [cin, cout] = channelPairs[(i + n + s) % channelPairs.length]!;
        grid.push({ n, h: 11, w: 12, cin, cout, k, s, pad });
      }
    }
// An even kernel pads asymmetrically at stride 1 too ('same': top 1, bottom 2).
grid.push({ n: 3, h: 11, w: 12, cin: 5, cout: 3, k: 4, s: 1, pad: 'same' });
// Outputs of ≤ 10 positions per image take the filter gradient's GEMM path (native/src/conv.cc):
// 2x5 and 2x2 outputs, 'same' at stride 1 and (asymmetric) stride 2, batch 1 and odd; the grid's
// k7/k9 'valid' stride-2 cases reach it too.
grid.push({ n: 3, h: 2, w: 5, cin: 6, cout: 5, k: 3, s: 1, pad: 'same' });
grid.push({ n: 1, h: 4, w: 4, cin: 5, cout: 7, k: 3, s: 2, pad: 'same' });
grid.push({ n: 3, h: 3, w: 9, cin: 7, cout: 3, k: 3, s: 2, pad: 'same' });

// Float32 sums of up to k²·cin = 567 products (forward) or n·h·w = 396 (filter gradient) in a
// different order than tfjs' loops: ~1e-6 of the largest value in practice, 3e-5 allowed.
const TOL: Tolerance = { atol: 3e-5, rtol: 1e-5 };

function data(c: Case, filterShape: number[], outChannels: number, seed: number) {
  const xShape = [c.n, c.h, c.w, c.cin];
  const info = tf.backend_util.computeConv2DInfo(
    xShape as never,
    [c.k, c.k, c.cin, outChannels] as never,
    c.s,
    c.dilation ?? 1,
    c.pad,
  );
  return {
    xShape,
    filterShape,
    outShape: info.outShape,
    x: randomValues(size(xShape), seed),
    f: randomValues(size(filterShape), seed + 1),
    r: randomValues(size(info.outShape), seed + 2),
    bias: randomValues(outChannels, seed + 3),
    alpha: randomValues(outChannels, seed + 4).map((v) => v * 0.5),
  };
}

/** Forward output, then the gradients of Σ conv(x, f)·r with respect to x and f. */
function convProgram(c: Case, conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D, d: ReturnType<typeof data>) {
  return () => {
    const x = tf.tensor4d(d.x, d.xShape as never);
    const f = tf.tensor4d(d.f, d.filterShape as never);
    const r = tf.tensor4d(d.r, d.outShape);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)),
    )([x, f]);
    return [conv(x, f), dx!, df!];
  };
}

beforeAll(async () => {
  if (available) await setupNative();
});

describe.skipIf(!available)('native Conv2D and its gradients', () => {
  it.each(grid.map((c) => [label(c), c] as const))('match cpu: %s', (_, c) => {
    const d = data(c, [c.k, c.k, c.cin, c.cout], c.cout, 11);
    const { native } = expectNativeMatchesCpu(
      convProgram(c, (x, f) => tf.conv2d(x, f, c.s, c.pad), d),
      TOL,
    );
    expect(native.map((o) => o.shape)).toEqual([d.outShape, d.xShape, d.filterShape]);
  });

  it.each([
    [
      [
        [0, 0],
        [2, 0],
        [1, 3],
        [0, 0],
      ],
      1,
    ],
    [
      [
        [0, 0],
        [0, 1],
        [2, 2],
        [0, 0],
      ],
      2,
    ],
  ] as const)(
    'matches cpu with explicit padding %j, stride %i (conv and depthwise, forward and gradients)',
    (explicit, s) => {
      const pad = explicit.map((p) => [...p]) as tf.backend_util.ExplicitPadding;
      const c: Case = { n: 3, h: 11, w: 12, cin: 5, cout: 6, k: 3, s, pad: 'valid' };
      const xShape = [3, 11, 12, 5];
      for (const depthwise of [false, true]) {
        const fShape = depthwise ? [3, 3, 5, 2] : [3, 3, 5, 6];
        const outChannels = depthwise ? 10 : 6;
        const info = tf.backend_util.computeConv2DInfo(xShape as never, [3, 3, 5, outChannels] as never, s, 1, pad);
        const d = {
          ...data(c, fShape, outChannels, 15),
          outShape: info.outShape,
          r: randomValues(size(info.outShape), 17),
        };
        const conv = (x: tf.Tensor4D, f: tf.Tensor4D) =>
          depthwise ? tf.depthwiseConv2d(x, f, s, pad) : tf.conv2d(x, f, s, pad);
        const { native } = expectNativeMatchesCpu(convProgram(c, conv, d), TOL);
        expect(native.map((o) => o.shape)).toEqual([info.outShape, xShape, fShape]);
      }
    },
  );

  it('matches cpu with dilation 2 (forward; tfjs has no dilated conv gradient)', () => {
    const c: Case = { n: 3, h: 11, w: 12, cin: 5, cout: 6, k: 3, s: 1, pad: 'same', dilation: 2 };
    const d = data(c, [3, 3, 5, 6], 6, 13);
    const { native } = expectNativeMatchesCpu(
      () => tf.conv2d(tf.tensor4d(d.x, d.xShape as never), tf.tensor4d(d.f, [3, 3, 5, 6]), 1, 'same', 'NHWC', 2),
      TOL,
    );
    expect(native[0]!.shape).toEqual([3, 11, 12, 6]);
    const valid = { ...c, pad: 'valid' as const };
    const dv = data(valid, [3, 3, 5, 6], 6, 14);
    const out = expectNativeMatchesCpu(
      () => tf.conv2d(tf.tensor4d(dv.x, dv.xShape as never), tf.tensor4d(dv.f, [3, 3, 5, 6]), 1, 'valid', 'NHWC', 2),
      TOL,
    );
    expect(out.native[0]!.shape).toEqual([3, 7, 8, 6]);
  });
});

// Depthwise: the same grid, multiplier alternating 1 and 2 (output channels cin·multiplier).
const depthwiseGrid = grid.map((c, i) => ({ ...c, cout: c.cin * (1 + (i % 2)) }));

describe.skipIf(!available)('native depthwise conv and its gradients', () => {
  it.each(depthwiseGrid.map((c) => [`${label(c)} multiplier ${c.cout / c.cin}`, c] as const))(
    'match cpu: %s',
    (_, c) => {
      const d = data(c, [c.k, c.k, c.cin, c.cout / c.cin], c.cout, 21);
      const { native } = expectNativeMatchesCpu(
        convProgram(c, (x, f) => tf.depthwiseConv2d(x, f, c.s, c.pad), d),
        TOL,
      );
      expect(native.map((o) => o.shape)).toEqual([d.outShape, d.xShape, d.filterShape]);
    },
  );

  it('matches cpu with dilation 2, multiplier 2 (forward)', () => {
    const c: Case = { n: 1, h: 11, w: 12, cin: 3, cout: 6, k: 3, s: 1, pad: 'same', dilation: 2 };
    const d = data(c, [3, 3, 3, 2], 6, 23);
    const { native } = expectNativeMatchesCpu(
      () =>
        tf.depthwiseConv2d(tf.tensor4d(d.x, d.xShape as never), tf.tensor4d(d.f, [3, 3, 3, 2]), 1, 'same', 'NHWC', 2),
      TOL,
    );
    expect(native[0]!.shape).toEqual([1, 11, 12, 6]);
  });
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'] as const;
type Activation = (typeof ACTIVATIONS)[number];

// Geometries of the fused cases: symmetric and asymmetric 'same', 'valid', 1×1, batch 1 and 3.
const fusedGeometries: Case[] = [
  { n: 1, h: 11, w: 12, cin: 3, cout: 5, k: 3, s: 1, pad: 'same' },
  { n: 3, h: 11, w: 12, cin: 5, cout: 7, k: 3, s: 2, pad: 'same' },
  { n: 3, h: 11, w: 12, cin: 7, cout: 6, k: 5, s: 2, pad: 'valid' },
  { n: 1, h: 11, w: 12, cin: 6, cout: 3, k: 1, s: 1, pad: 'valid' },
];

/**
 * tf.fused forward (one FusedConv2D kernel), then the gradients of Σ y·r wrt x, filter and bias:
 * tfjs differentiates the fused kernel itself for 'linear' and composes conv + add + activation
 * for the others; either way every kernel must run natively.
 */
function fusedProgram(c: Case, activation: Activation, depthwise: boolean, d: ReturnType<typeof data>) {
  const op = depthwise ? tf.fused.depthwiseConv2d : tf.fused.conv2d;
  return () => {
    const x = tf.tensor4d(d.x, d.xShape as never);
    const f = tf.tensor4d(d.f, d.filterShape as never);
    const bias = tf.tensor1d(d.bias);
    const r = tf.tensor4d(d.r, d.outShape);
    const prelu = activation === 'prelu' ? tf.tensor1d(d.alpha) : undefined;
    const y = (a: tf.Tensor, b: tf.Tensor, s: tf.Tensor) =>
      op({
        x: a as tf.Tensor4D,
        filter: b as tf.Tensor4D,
        strides: c.s,
        pad: c.pad,
        bias: s,
        activation,
        preluActivationWeights: prelu,
        leakyreluAlpha: 0.3,
      });
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(y(a, b, s), r)))([x, f, bias]);
    return [y(x, f, bias), ...grads];
  };
}

const fusedCases = fusedGeometries.flatMap((c) => ACTIVATIONS.map((a) => [`${label(c)} ${a}`, c, a] as const));

describe.skipIf(!available)('native FusedConv2D (bias, activation) and its gradients', () => {
  it.each(fusedCases)('match cpu: %s', (_, c, activation) => {
    const d = data(c, [c.k, c.k, c.cin, c.cout], c.cout, 31);
    const { native, cpu } = expectNativeMatchesCpu(fusedProgram(c, activation, false, d), TOL);
    expect(native.map((o) => o.shape)).toEqual([d.outShape, d.xShape, d.filterShape, [c.cout]]);
    // The activation really acted: relu/relu6/sigmoid bound the output, the others let negatives through.
    const y = cpu[0]!.values;
    if (activation === 'relu' || activation === 'relu6' || activation === 'sigmoid')
      expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
    else expect(Math.min(...y)).toBeLessThan(0);
  });

  it('FusedConv2D with dilation 2 and relu matches cpu (forward)', () => {
    const c: Case = { n: 3, h: 11, w: 12, cin: 5, cout: 3, k: 3, s: 1, pad: 'same', dilation: 2 };
    const d = data(c, [3, 3, 5, 3], 3, 33);
    expectNativeMatchesCpu(
      () =>
        tf.fused.conv2d({
          x: tf.tensor4d(d.x, d.xShape as never),
          filter: tf.tensor4d(d.f, [3, 3, 5, 3]),
          strides: 1,
          pad: 'same',
          dilations: 2,
          bias: tf.tensor1d(d.bias),
          activation: 'relu',
        }),
      TOL,
    );
  });
});

const fusedDepthwiseCases = fusedGeometries
  .slice(0, 3)
  .flatMap((c, i) =>
    ACTIVATIONS.map(
      (a) =>
        [`${label({ ...c, cout: c.cin * (1 + (i % 2)) })} ${a}`, { ...c, cout: c.cin * (1 + (i % 2)) }, a] as const,
    ),
  );

describe.skipIf(!available)('native FusedDepthwiseConv2D (bias, activation) and its gradients', () => {
  it.each(fusedDepthwiseCases)('match cpu: %s', (_, c, activation) => {
    const d = data(c, [c.k, c.k, c.cin, c.cout / c.cin], c.cout, 41);
    const { native } = expectNativeMatchesCpu(fusedProgram(c, activation, true, d), TOL);
    expect(native.map((o) => o.shape)).toEqual([d.outShape, d.xShape, d.filterShape, [c.cout]]);
  });
});

/**
 * A filter that several forward convs use (inference: every batch) keeps oneDNN's blocked copy
 * after its second use (native/src/conv.cc); every call must still match cpu, with bias and
 * activation, at another stride than the copy was made for, and after the filter is updated in
 * place (the copy is dropped).
 */
describe.skipIf(!available)('native conv filter reuse across calls', () => {
  it('repeated convs with one filter match cpu before and after an in-place update of the filter', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const f = tf.tidy(() => tf.variable(tf.tensor4d(randomValues(3 * 3 * 6 * 5, 71), [3, 3, 6, 5])));
      const [m, v] = [0, 1].map(() => tf.tidy(() => tf.variable(tf.zerosLike(f)))) as [tf.Variable, tf.Variable];
      const bias = tf.tensor1d(randomValues(5, 75));
      const xs = [0, 1, 2].map((i) => tf.tensor4d(randomValues(2 * 7 * 8 * 6, 72 + i), [2, 7, 8, 6]));
      const fused = (x: tf.Tensor4D) =>
        tf.fused.conv2d({ x, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' });
      const outs: tf.Tensor[] = xs.map((x) => fused(x));
      outs.push(tf.conv2d(xs[0]!, f as tf.Tensor4D, 2, 'same'), tf.conv2d(xs[1]!, f as tf.Tensor4D, 1, 'valid'));
      fusedAdamUpdate(
        f,
        tf.tensor4d(randomValues(3 * 3 * 6 * 5, 76), [3, 3, 6, 5]),
        { m, v },
        { learningRate: 0.1, t: 1 },
      );
      outs.push(...xs.map((x) => fused(x)));
      const out = [...outs, f.clone()];
      tf.dispose([f, m, v]);
      return out;
    }, TOL);
    // The update changed the outputs (the later calls did not reuse a stale copy by accident of equal values).
    expect(errorRatio(native[5]!.values, native[0]!.values)).toBeGreaterThan(1);
  });
});
