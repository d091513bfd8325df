/**
 * `Conv2DBackpropInput` for the wasm backend, replacing the stock scalar loop with XNNPACK.
 * dX is the transposed conv: a stride-1 conv of dy (stride-dilated by the forward stride and
 * padded by KH−1−pt on top) with the spatially flipped, in/out-swapped filter.
 * dX[h] = Σ_kh dy'[h + pt − kh] · W[kh]  where dy'[i·s] = dy[i] and zero elsewhere.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, explicitPad, Scratch, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';
import { flipFilter, spreadPad } from './layout.ts';
import { inputGradMatmul } from './conv2d-grad-matmul.ts';
import { gradMethod, winogradGradTile } from './grad-method.ts';
import {
  disposeFilter,
  inputGradGeometry,
  transformFilter,
  transposedGemm,
  winogradConv,
  winogradGeometry,
} from './winograd.ts';

/** Attributes the Conv2DBackpropInput op passes. */
interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

export function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  if (attrs.dataFormat === 'NCHW')
    throw new Error('wasm Conv2DBackpropInput supports dataFormat NHWC only; received NCHW');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w, c] = attrs.inputShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = h - ((oh - 1) * sh + 1) + info.padInfo.top;
  const right = w - ((ow - 1) * sw + 1) + info.padInfo.left;
  const method = gradMethod('input', info);
  if (method === 'winograd') {
    const m = winogradGradTile(info)!;
    const u = transformFilter(backend, filter, m, true, transposedGemm(info, m, info.inChannels));
    try {
      return winogradConv(backend, dy, u, inputGradGeometry(winogradGeometry(info)), null, 'linear');
    } finally {
      disposeFilter(backend, u);
    }
  }
  if (method === 'matmul') {
    return inputGradMatmul(backend, dy, filter, {
      n,
      h,
      w,
      c,
      kh,
      kw,
      sh,
      sw,
      dh: 1,
      dw: 1,
      pt: info.padInfo.top,
      pl: info.padInfo.left,
      oh,
      ow,
    });
  }
  const scratch = new Scratch(backend);
  try {
    const flipped = flipFilter(backend, scratch, filter);
    const direct = sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0;
    const src = direct ? dy : spreadPad(backend, scratch, dy, sh, sw, top, left, h + kh - 1, w + kw - 1);
    return callKernel(
      backend,
      'Conv2D',
      { x: src, filter: flipped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: direct ? explicitPad(top, bottom, left, right) : 'valid',
        dataFormat: 'NHWC',
      },
    );
  } finally {
    scratch.free();
  }
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as KernelConfig['kernelFunc'],
};
