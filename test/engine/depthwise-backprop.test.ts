/**
 * Custom wasm DepthwiseConv2dNativeBackpropFilter / …BackpropInput against the cpu backend's
 * kernels (grid without dilation: the cpu kernels ignore it) and against finite differences of the
 * forward depthwise conv (subset plus every dilation-2 case).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { closeness, finiteDifferences, randomValues, runOn, setupBackends, size } from './helpers.ts';

type Pad = 'same' | 'valid' | number[][];
interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  m: number;
  k: number;
  s: number;
  d: number;
  pad: Pad;
}

const grid: Case[] = [];
for (const n of [1, 3])
  for (const s of [1, 2])
    for (const pad of ['same', 'valid'] as const) {
      for (const [i, k] of [1, 3, 5, 7, 9].entries()) {
        grid.push({ n, h: 11, w: 9, c: [3, 5, 6][(i + s) % 3], m: (i + n) % 2 === 0 ? 1 : 2, k, s, d: 1, pad });
      }
    }
grid.push({
  n: 3,
  h: 7,
  w: 6,
  c: 5,
  m: 1,
  k: 3,
  s: 2,
  d: 1,
  pad: [
    [0, 0],
    [2, 0],
    [1, 3],
    [0, 0],
  ],
});
const dilated: Case[] = [
  { n: 1, h: 9, w: 11, c: 3, m: 1, k: 3, s: 1, d: 2, pad: 'same' },
  { n: 3, h: 10, w: 9, c: 5, m: 2, k: 3, s: 1, d: 2, pad: 'valid' },
  { n: 3, h: 12, w: 11, c: 6, m: 1, k: 5, s: 1, d: 2, pad: 'same' },
];

const label = (c: Case) =>
  `n${c.n} ${c.h}x${c.w} c${c.c}x${c.m} k${c.k} s${c.s} d${c.d} ${typeof c.pad === 'string' ? c.pad : 'explicit'}`;

function makeCase(c: Case, seed: number) {
  const xShape = [c.n, c.h, c.w, c.c];
  const fShape = [c.k, c.k, c.c, c.m];
  const info = tf.backend_util.computeConv2DInfo(
    xShape as never,
    fShape as never,
    c.s,
    c.d,
    c.pad as 'same',
    undefined,
    true,
  );
  return {
    x: { shape: xShape, values: randomValues(size(xShape), seed) },
    f: { shape: fShape, values: randomValues(size(fShape), seed + 1) },
    dy: { shape: info.outShape, values: randomValues(size(info.outShape), seed + 2) },
  };
}

const filterAttrs = (c: Case) => ({ strides: c.s, dilations: c.d, pad: c.pad, filterShape: [c.k, c.k, c.c, c.m] });
const inputAttrs = (c: Case) => ({ strides: c.s, dilations: c.d, pad: c.pad, inputShape: [c.n, c.h, c.w, c.c] });

beforeAll(setupBackends);

describe('wasm DepthwiseConv2dNativeBackpropFilter', () => {
  it.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', (_, c) => {
    const { x, dy } = makeCase(c, 101);
    const cpu = runOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs(c));
    const wasm = runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs(c));
    expect(wasm.shape).toEqual([c.k, c.k, c.c, c.m]);
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });
});

describe('wasm DepthwiseConv2dNativeBackpropInput', () => {
  it.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', (_, c) => {
    const { f, dy } = makeCase(c, 211);
    const cpu = runOn('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, inputAttrs(c));
    const wasm = runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, inputAttrs(c));
    expect(wasm.shape).toEqual([c.n, c.h, c.w, c.c]);
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });
});

describe('wasm depthwise gradients vs finite differences', () => {
  const subset = [...grid.filter((_, i) => i % 3 === 0), ...dilated];
  it.each(subset.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const { x, f, dy } = makeCase(c, 307);
    const forward = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.depthwiseConv2d(a, b, c.s, c.pad as 'same', 'NHWC', c.d);
    const dx = runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, inputAttrs(c)).values;
    const df = runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs(c)).values;
    for (const [wrt, grad] of [
      ['x', dx],
      ['f', df],
    ] as const) {
      const fd = finiteDifferences(forward, x, f, dy.values, wrt, 5, 9);
      fd.index.forEach((idx, j) =>
        expect(Math.abs(grad[idx] - fd.estimate[j])).toBeLessThan(2e-3 + 2e-3 * Math.abs(fd.estimate[j])),
      );
    }
  });
});
