/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing from the stock backend).
 * Per channel it is the transposed conv of conv2d-backprop-input.ts: a stride-1 XNNPACK depthwise
 * conv of the stride-dilated, padded dy with the spatially flipped filter (dilation kept). For a
 * channel multiplier M > 1 the C·M results are summed over M.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, explicitPad, Scratch, view, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';
import { flipFilter, spreadPad } from './layout.ts';

/** Attributes the DepthwiseConv2dNativeBackpropInput op passes. */
interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

export function depthwiseBackpropInput(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode,
    true,
  );
  const [n, h, w, c] = attrs.inputShape;
  const m = filter.shape[3];
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const top = (kh - 1) * dh - info.padInfo.top;
  const left = (kw - 1) * dw - info.padInfo.left;
  const bottom = h - ((oh - 1) * sh + 1) + info.padInfo.top;
  const right = w - ((ow - 1) * sw + 1) + info.padInfo.left;
  const scratch = new Scratch(backend);
  try {
    const flipped = flipFilter(backend, scratch, filter, true);
    const direct = sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0;
    const src = direct ? dy : spreadPad(backend, scratch, dy, sh, sw, top, left, h + (kh - 1) * dh, w + (kw - 1) * dw);
    const dx = callKernel(
      backend,
      'DepthwiseConv2dNative',
      { x: src, filter: flipped },
      {
        strides: [1, 1],
        dilations: [dh, dw],
        pad: direct ? explicitPad(top, bottom, left, right) : 'valid',
      },
    );
    if (m === 1) return dx;
    scratch.track(dx);
    return callKernel(backend, 'Sum', { x: view(dx, [n, h, w, c, m]) }, { axis: [4], keepDims: false });
  } finally {
    scratch.free();
  }
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelConfig['kernelFunc'],
};
