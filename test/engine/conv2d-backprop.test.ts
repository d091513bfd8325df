/**
 * Custom wasm Conv2DBackpropFilter / Conv2DBackpropInput against the cpu backend's kernels (full
 * grid) and against finite differences of the forward conv (a subset).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { closeness, finiteDifferences, randomValues, runOn, setupBackends, size } from './helpers.ts';

type Pad = 'same' | 'valid' | number[][];
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number | [number, number];
  pad: Pad;
}

const channelPairs = [
  [3, 5],
  [5, 6],
  [6, 3],
];
const grid: Case[] = [];
for (const n of [1, 3])
  for (const s of [1, 2])
    for (const pad of ['same', 'valid'] as const) {
      for (const [i, k] of [1, 3, 5, 7, 9].entries()) {
        const [cin, cout] = channelPairs[(i + n + s) % 3];
        grid.push({ n, h: 11, w: 9, cin, cout, k, s, pad });
      }
    }
grid.push({ n: 2, h: 8, w: 10, cin: 5, cout: 6, k: 3, s: [2, 1], pad: 'same' });
grid.push({
  n: 3,
  h: 7,
  w: 6,
  cin: 3,
  cout: 5,
  k: 3,
  s: 2,
  pad: [
    [0, 0],
    [2, 0],
    [1, 3],
    [0, 0],
  ],
});
grid.push({ n: 2, h: 12, w: 12, cin: 6, cout: 6, k: 1, s: 1, pad: 'valid' });

const label = (c: Case) =>
  `n${c.n} ${c.h}x${c.w} ${c.cin}->${c.cout} k${c.k} s${c.s} ${typeof c.pad === 'string' ? c.pad : 'explicit'}`;

function makeCase(c: Case, seed: number) {
  const xShape = [c.n, c.h, c.w, c.cin];
  const fShape = [c.k, c.k, c.cin, c.cout];
  const info = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, c.s, 1, c.pad as 'same');
  return {
    x: { shape: xShape, values: randomValues(size(xShape), seed) },
    f: { shape: fShape, values: randomValues(size(fShape), seed + 1) },
    dy: { shape: info.outShape, values: randomValues(size(info.outShape), seed + 2) },
  };
}

const filterAttrs = (c: Case) => ({
  strides: c.s,
  pad: c.pad,
  dataFormat: 'NHWC',
  filterShape: [c.k, c.k, c.cin, c.cout],
});
const inputAttrs = (c: Case) => ({ strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] });

beforeAll(setupBackends);
afterAll(() => {
  delete process.env.MLC_PIPE_CONV_GRAD;
});

// Both formulations are checked on the whole grid (the automatic choice picks per layer size).
describe.each(['conv', 'matmul'])('wasm Conv2DBackpropFilter (%s formulation)', (method) => {
  beforeEach(() => {
    process.env.MLC_PIPE_CONV_GRAD = method;
  });
  it.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', (_, c) => {
    const { x, dy } = makeCase(c, 11);
    const cpu = runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, filterAttrs(c));
    const wasm = runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, filterAttrs(c));
    expect(wasm.shape).toEqual([c.k, c.k, c.cin, c.cout]);
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });
});

describe.each(['conv', 'matmul'])('wasm Conv2DBackpropInput (%s formulation)', (method) => {
  beforeEach(() => {
    process.env.MLC_PIPE_CONV_GRAD = method;
  });
  it.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', (_, c) => {
    const { f, dy } = makeCase(c, 23);
    const cpu = runOn('cpu', 'Conv2DBackpropInput', { dy, filter: f }, inputAttrs(c));
    const wasm = runOn('wasm', 'Conv2DBackpropInput', { dy, filter: f }, inputAttrs(c));
    expect(wasm.shape).toEqual([c.n, c.h, c.w, c.cin]);
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });
});

describe.each(['conv', 'matmul', 'auto'])('wasm conv2d gradients vs finite differences (%s)', (method) => {
  beforeEach(() => {
    if (method === 'auto') delete process.env.MLC_PIPE_CONV_GRAD;
    else process.env.MLC_PIPE_CONV_GRAD = method;
  });
  const subset = grid.filter((_, i) => i % 5 === i % 4 || i >= grid.length - 3);
  it.each(subset.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const { x, f, dy } = makeCase(c, 37);
    const forward = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, c.s, c.pad as 'same');
    const dx = runOn('wasm', 'Conv2DBackpropInput', { dy, filter: f }, inputAttrs(c)).values;
    const df = runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, filterAttrs(c)).values;
    for (const [wrt, grad] of [
      ['x', dx],
      ['f', df],
    ] as const) {
      const fd = finiteDifferences(forward, x, f, dy.values, wrt, 4, 5);
      fd.index.forEach((idx, j) =>
        expect(Math.abs(grad[idx] - fd.estimate[j])).toBeLessThan(2e-3 + 2e-3 * Math.abs(fd.estimate[j])),
      );
    }
  });
});
