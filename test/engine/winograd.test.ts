/**
 * Winograd 3×3 stride-1 convs on wasm (src/engine/wasm/winograd.ts + the SIMD transforms):
 * forward (Conv2D / FusedConv2D with bias and ReLU/ReLU6), dX and dW against the cpu backend's
 * kernels over a grid of shapes and both tile sizes, dX/dW against finite differences, the
 * filter-transform cache, and the generated wasm module against its AssemblyScript source.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { closeness, finiteDifferences, randomValues, runOn, setupBackends, size } from './helpers.ts';
import { clearWinogradCache, winogradCacheSize } from '../../src/engine/wasm/conv2d-winograd.ts';
import { gradMethod } from '../../src/engine/wasm/grad-method.ts';
import { transposedGemm, winogradTile } from '../../src/engine/wasm/winograd.ts';
import { sourceSha256, wasmBase64 } from '../../src/engine/wasm/simd/winograd.wasm.ts';
import { compile } from '../../scripts/build-wasm.ts';
import type { WasmBackendLike } from '../../src/engine/wasm/backend-ops.ts';

type Pad = 'same' | 'valid' | number[][];
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  pad: Pad;
}

// Odd and tiny sizes (partial tiles, a single pixel), batch 1 and odd, explicit asymmetric padding.
const grid: Case[] = [
  { n: 1, h: 7, w: 9, cin: 4, cout: 8, pad: 'same' },
  { n: 3, h: 6, w: 5, cin: 8, cout: 4, pad: 'same' },
  { n: 3, h: 9, w: 7, cin: 12, cout: 8, pad: 'valid' },
  { n: 1, h: 2, w: 3, cin: 8, cout: 12, pad: 'same' },
  { n: 2, h: 1, w: 1, cin: 4, cout: 4, pad: 'same' },
  {
    n: 2,
    h: 13,
    w: 6,
    cin: 4,
    cout: 16,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  },
  {
    n: 1,
    h: 8,
    w: 8,
    cin: 16,
    cout: 8,
    pad: [
      [0, 0],
      [0, 2],
      [1, 1],
      [0, 0],
    ],
  },
];
const label = (c: Case) =>
  `n${c.n} ${c.h}x${c.w} ${c.cin}->${c.cout} ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad.slice(1, 3))}`;
// Every shape with both tile sizes and both GEMM orientations (V·U packing U, Uᵀ·Vᵀ packing Vᵀ).
const cases = [2, 4, 6].flatMap((m) =>
  ['vu', 'uv'].flatMap((gemm) => grid.map((c) => [`F${m} ${gemm} ${label(c)}`, m, gemm, c] as const)),
);

function tensors(c: Case, seed: number) {
  const xShape = [c.n, c.h, c.w, c.cin];
  const fShape = [3, 3, c.cin, c.cout];
  const info = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, 1, 1, c.pad as 'same');
  return {
    info,
    x: { shape: xShape, values: randomValues(size(xShape), seed) },
    f: { shape: fShape, values: randomValues(size(fShape), seed + 1) },
    dy: { shape: info.outShape, values: randomValues(size(info.outShape), seed + 2) },
    bias: { shape: [c.cout], values: randomValues(c.cout, seed + 3) },
  };
}
const convAttrs = (c: Case) => ({ strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1 });

/** Sets env variables for one test. */
function env(vars: Record<string, string>): void {
  Object.assign(process.env, vars);
}
const ENV = ['MLC_PIPE_WINOGRAD', 'MLC_PIPE_WINOGRAD_TILE', 'MLC_PIPE_WINOGRAD_GEMM', 'MLC_PIPE_CONV_GRAD'];
beforeAll(setupBackends);
afterEach(() => {
  for (const k of ENV) delete process.env[k];
});
afterAll(() => clearWinogradCache(tf.findBackend('wasm') as unknown as WasmBackendLike));

// Larger tiles amplify rounding more (transform entries up to 8 for F(4,3), 32 and 21/4 for
// F(6,3)); each stays within this absolute + relative distance of the cpu backend's direct sums.
const TOL: Record<number, number> = { 2: 1e-4, 4: 3e-4, 6: 1e-3 };

describe('Winograd forward vs cpu', () => {
  it.each(cases)('Conv2D %s', (_, m, gemm, c) => {
    env({ MLC_PIPE_WINOGRAD: 'force', MLC_PIPE_WINOGRAD_TILE: String(m), MLC_PIPE_WINOGRAD_GEMM: gemm });
    const { info, x, f } = tensors(c, 5);
    expect(winogradTile(info)).toBe(m);
    const cpu = runOn('cpu', 'Conv2D', { x, filter: f }, convAttrs(c));
    const wasm = runOn('wasm', 'Conv2D', { x, filter: f }, convAttrs(c));
    expect(wasm.shape).toEqual(cpu.shape);
    expect(closeness(wasm.values, cpu.values, TOL[m], TOL[m])).toBeLessThan(1);
  });

  it.each([
    ['relu', 2],
    ['relu6', 4],
    ['linear', 4],
  ] as const)('FusedConv2D with bias and %s (F%i)', (activation, m) => {
    env({ MLC_PIPE_WINOGRAD: 'force', MLC_PIPE_WINOGRAD_TILE: String(m) });
    const c = grid[5];
    const { x, f, bias } = tensors(c, 9);
    // Scale so that ReLU6 clips some outputs from above and ReLU some from below.
    const xs = { shape: x.shape, values: x.values.map((v) => v * 3) };
    const attrs = { ...convAttrs(c), activation };
    const cpu = runOn('cpu', 'FusedConv2D', { x: xs, filter: f, bias }, attrs);
    const wasm = runOn('wasm', 'FusedConv2D', { x: xs, filter: f, bias }, attrs);
    if (activation === 'relu6') expect(cpu.values.some((v) => v === 6)).toBe(true);
    if (activation !== 'linear') expect(cpu.values.some((v) => v === 0)).toBe(true);
    expect(closeness(wasm.values, cpu.values, TOL[m], TOL[m])).toBeLessThan(1);
  });

  it('falls back to XNNPACK when channels are not multiples of 4, and still matches cpu', () => {
    env({ MLC_PIPE_WINOGRAD: 'force' });
    const c: Case = { n: 2, h: 6, w: 6, cin: 3, cout: 5, pad: 'same' };
    const { info, x, f } = tensors(c, 13);
    expect(winogradTile(info)).toBeNull();
    const cpu = runOn('cpu', 'Conv2D', { x, filter: f }, convAttrs(c));
    const wasm = runOn('wasm', 'Conv2D', { x, filter: f }, convAttrs(c));
    expect(closeness(wasm.values, cpu.values)).toBeLessThan(1);
  });
});

describe('Winograd gradients vs cpu', () => {
  it.each(cases.filter(([, , gemm]) => gemm === 'vu'))('Conv2DBackpropFilter %s', (_, m, _gemm, c) => {
    env({ MLC_PIPE_CONV_GRAD: 'winograd', MLC_PIPE_WINOGRAD_TILE: String(m) });
    const { info, x, dy } = tensors(c, 17);
    expect(gradMethod('filter', info)).toBe('winograd');
    const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', filterShape: [3, 3, c.cin, c.cout] };
    const cpu = runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs);
    const wasm = runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
    expect(wasm.shape).toEqual([3, 3, c.cin, c.cout]);
    expect(closeness(wasm.values, cpu.values, TOL[m], TOL[m])).toBeLessThan(1);
  });

  it.each(cases)('Conv2DBackpropInput %s', (_, m, gemm, c) => {
    env({ MLC_PIPE_CONV_GRAD: 'winograd', MLC_PIPE_WINOGRAD_TILE: String(m), MLC_PIPE_WINOGRAD_GEMM: gemm });
    const { info, f, dy } = tensors(c, 29);
    expect(gradMethod('input', info)).toBe('winograd');
    const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] };
    const cpu = runOn('cpu', 'Conv2DBackpropInput', { dy, filter: f }, attrs);
    const wasm = runOn('wasm', 'Conv2DBackpropInput', { dy, filter: f }, attrs);
    expect(wasm.shape).toEqual([c.n, c.h, c.w, c.cin]);
    expect(closeness(wasm.values, cpu.values, TOL[m], TOL[m])).toBeLessThan(1);
  });

  it.each(cases.filter((_, i) => i % 5 === 0))('dX and dW vs finite differences: %s', (_, m, gemm, c) => {
    env({ MLC_PIPE_CONV_GRAD: 'winograd', MLC_PIPE_WINOGRAD_TILE: String(m), MLC_PIPE_WINOGRAD_GEMM: gemm });
    const { x, f, dy } = tensors(c, 41);
    const dx = runOn(
      'wasm',
      'Conv2DBackpropInput',
      { dy, filter: f },
      { strides: 1, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] },
    ).values;
    const dw = runOn(
      'wasm',
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: 1, pad: c.pad, dataFormat: 'NHWC', filterShape: [3, 3, c.cin, c.cout] },
    ).values;
    process.env.MLC_PIPE_WINOGRAD = 'off'; // the forward of the finite differences is XNNPACK's direct conv
    const forward = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, c.pad as 'same');
    for (const [wrt, grad] of [
      ['x', dx],
      ['f', dw],
    ] as const) {
      const fd = finiteDifferences(forward, x, f, dy.values, wrt, 4, 7);
      fd.index.forEach((idx, j) =>
        expect(Math.abs(grad[idx] - fd.estimate[j])).toBeLessThan(2e-3 + 2e-3 * Math.abs(fd.estimate[j])),
      );
    }
  });
});

describe('Winograd choice and filter cache', () => {
  it('picks the tile with fewer multiplies and the GEMM orientation that packs less', () => {
    const info = (n: number, hw: number, c: number, stride = 1) =>
      tf.backend_util.computeConv2DInfo([n, hw, hw, c], [3, 3, c, c], stride, 1, 'same');
    expect(winogradTile(info(16, 16, 64))).toBe(4); // 36 products per 16 outputs
    expect(winogradTile(info(16, 2, 512))).toBe(2); // a 2×2 map: one F(2,3) tile, 16 per 4
    expect(winogradTile(info(1, 8, 8, 2))).toBeNull(); // stride 2
    expect(transposedGemm(info(16, 16, 64), 4, 64)).toBe(false); // 256 tiles: pack U [64, 64]
    expect(transposedGemm(info(16, 2, 512), 2, 512)).toBe(true); // 16 tiles: pack Vᵀ [512, 16], not U [512, 512]
    env({ MLC_PIPE_WINOGRAD: 'off' });
    expect(winogradTile(info(16, 16, 64))).toBeNull();
  });

  it('caches U for a filter used twice, frees it with the filter, and leaks no tensors', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackendLike & { numDataIds(): number };
    clearWinogradCache(backend);
    const x = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ref = tf.tidy(() => {
      process.env.MLC_PIPE_WINOGRAD = 'off';
      const r = tf.conv2d(x, f, 1, 'same');
      delete process.env.MLC_PIPE_WINOGRAD;
      return r;
    });
    const conv = (w: tf.Tensor4D) =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(tf.conv2d(x, w, 1, 'same'), ref))).dataSync()[0]);
    const once = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    conv(once); // a filter seen once (a training step): transformed, used, freed
    expect(winogradCacheSize()).toBe(0);
    once.dispose();
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) expect(conv(f)).toBeLessThan(1e-4); // seen before (the reference): cached
    expect(winogradCacheSize()).toBe(1);
    expect(backend.numDataIds()).toBe(ids + 36); // the cached U planes and nothing else
    f.dispose();
    const f2 = tf.randomNormal([3, 3, 8, 8]) as tf.Tensor4D;
    tf.tidy(() => tf.conv2d(x, f2, 1, 'same').dataSync()); // next conv sweeps the disposed filter's U
    expect(winogradCacheSize()).toBe(0);
    tf.dispose([x, f2, ref]);
  });
});

describe('generated SIMD module', () => {
  it('is up to date with its AssemblyScript source (npx tsx scripts/build-wasm.ts)', () => {
    const src = readFileSync(new URL('../../src/engine/wasm/simd/winograd.as.ts', import.meta.url), 'utf8');
    expect(createHash('sha256').update(src).digest('hex')).toBe(sourceSha256);
  });

  it('is the bytes asc produces from that source (imports only the tfjs memory, no data section)', async () => {
    const wasm = await compile(new URL('../../src/engine/wasm/simd/winograd.as.ts', import.meta.url).pathname);
    expect(Buffer.from(wasm).toString('base64')).toBe(wasmBase64);
  });
});
