/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (missing from the stock backend).
 * dW[kh,kw,c,m] = Σ_{n,oh,ow} x[n, oh·s+kh·d−pt, ow·s+kw·d−pl, c] · dy[n,oh,ow,c·M+m].
 *
 * Per-channel formulation: every (image, channel) pair is its own depthwise channel. x becomes
 * [1, H, W, N·C] and dy a depthwise filter [OH, OW, N·C, M]; one XNNPACK depthwise conv with
 * stride = forward dilation and dilation = forward stride gives [1, KH, KW, N·C·M], summed over N.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, explicitPad, Scratch, view, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';

/** Attributes the DepthwiseConv2dNativeBackpropFilter op passes. */
interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function depthwiseBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode,
    true,
  );
  const [n, h, w, c] = x.shape;
  const [kh, kw, , m] = attrs.filterShape;
  const {
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  let pb = (kh - 1) * dh + (oh - 1) * sh + 1 - h - pt;
  let pr = (kw - 1) * dw + (ow - 1) * sw + 1 - w - pl;
  const scratch = new Scratch(backend);
  try {
    let xt = scratch.track(callKernel(backend, 'Transpose', { x }, { perm: [1, 2, 0, 3] }));
    let hh = h;
    let ww = w;
    if (pb < 0 || pr < 0) {
      hh = h + Math.min(pb, 0);
      ww = w + Math.min(pr, 0);
      xt = scratch.track(callKernel(backend, 'Slice', { x: xt }, { begin: [0, 0, 0, 0], size: [hh, ww, n, c] }));
      pb = Math.max(pb, 0);
      pr = Math.max(pr, 0);
    }
    const dyt = scratch.track(callKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
    const dwAll = callKernel(
      backend,
      'DepthwiseConv2dNative',
      { x: view(xt, [1, hh, ww, n * c]), filter: view(dyt, [oh, ow, n * c, m]) },
      { strides: [dh, dw], dilations: [sh, sw], pad: explicitPad(pt, pb, pl, pr) },
    );
    if (n === 1) return view(dwAll, [kh, kw, c, m]);
    scratch.track(dwAll);
    const sum = callKernel(backend, 'Sum', { x: view(dwAll, [kh, kw, n, c * m]) }, { axis: [2], keepDims: false });
    return view(sum, [kh, kw, c, m]);
  } finally {
    scratch.free();
  }
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
