/**
 * `Conv2DBackpropFilter` for the wasm backend (the stock backend has none, so conv nets could not
 * train). dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[n,oh,ow,co].
 *
 * Formulation: one XNNPACK Conv2D over transposed tensors. With x as xᵀ = [Cin, H, W, N] (the
 * "batch" is Cin, the channels are N) and dy as a filter dyᵀ = [OH, OW, N, Cout], a stride-1 conv
 * with dilation = forward stride and the forward top/left padding yields [Cin, KH, KW, Cout], which
 * one transpose turns into the filter layout. A 1×1, stride-1, unpadded conv is a plain xᵀ·dy
 * matrix product instead.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, explicitPad, Scratch, view, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';
import { filterGradMatmul } from './conv2d-grad-matmul.ts';
import { gradMethod, winogradGradTile } from './grad-method.ts';
import { winogradFilterGrad, winogradGeometry } from './winograd.ts';

/** Attributes the Conv2DBackpropFilter op passes. */
interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  if (attrs.dataFormat === 'NCHW')
    throw new Error('wasm Conv2DBackpropFilter supports dataFormat NHWC only; received NCHW');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w, cin] = x.shape;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
    outChannels: cout,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const method = gradMethod('filter', info);
  if (method === 'winograd') return winogradFilterGrad(backend, x, dy, winogradGeometry(info), winogradGradTile(info)!);
  if (method === 'matmul') {
    return filterGradMatmul(backend, x, dy, { n, h, w, c: cin, kh, kw, sh, sw, dh: 1, dw: 1, pt, pl, oh, ow });
  }
  const scratch = new Scratch(backend);
  try {
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && oh === h && ow === w) {
      const out = callKernel(
        backend,
        'BatchMatMul',
        { a: view(x, [1, n * h * w, cin]), b: view(dy, [1, n * h * w, cout]) },
        { transposeA: true, transposeB: false },
      );
      return view(out, [1, 1, cin, cout]);
    }
    // Rows/cols of x past the last window are never read: crop them (the conv would need a negative pad).
    let pb = kh + (oh - 1) * sh - h - pt;
    let pr = kw + (ow - 1) * sw - w - pl;
    let xt = scratch.track(callKernel(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }));
    if (pb < 0 || pr < 0) {
      xt = scratch.track(
        callKernel(
          backend,
          'Slice',
          { x: xt },
          { begin: [0, 0, 0, 0], size: [cin, h + Math.min(pb, 0), w + Math.min(pr, 0), n] },
        ),
      );
      pb = Math.max(pb, 0);
      pr = Math.max(pr, 0);
    }
    const dyt = scratch.track(callKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
    const dw = scratch.track(
      callKernel(
        backend,
        'Conv2D',
        { x: xt, filter: dyt },
        {
          strides: [1, 1],
          dilations: [sh, sw],
          pad: explicitPad(pt, pb, pl, pr),
          dataFormat: 'NHWC',
        },
      ),
    );
    return callKernel(backend, 'Transpose', { x: dw }, { perm: [1, 2, 0, 3] });
  } finally {
    scratch.free();
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
