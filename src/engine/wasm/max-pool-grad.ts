/**
 * `MaxPoolGrad` for the wasm backend (the stock kernel took 30 ms of a ResNet-18 step for one
 * 3×3/2 pool). dx[argmax of each window] += dy, where the argmax is the first maximum in row-major
 * window order over in-image positions (TensorFlow's tie rule, as in the cpu backend). One pass,
 * channels innermost, with per-channel running maxima: in wasm SIMD (./simd/pool.as.ts, 4 channels
 * per lane group) when the channel count is a multiple of 4, else in JS. The SIMD pass took
 * 27 → 1.2 ms (tf.profile) for the 3×3/2 pool of the quickstart model's 48×144 b32 training step.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';
import { poolKernels } from './simd/index.ts';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGrad(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const dy = args.inputs.dy as TensorInfo;
  const x = args.inputs.input as TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, h, w, c] = x.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = backend.makeOutput([n, h, w, c], 'float32');
  const dx = heapF32(backend, out);
  dx.fill(0);
  if (c % 4 === 0) {
    const at = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    poolKernels(backend).maxPoolGrad(at(x), at(dy), at(out), n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl);
    return out;
  }
  const xv = heapF32(backend, x);
  const dyv = heapF32(backend, dy);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const r0 = Math.max(0, y * sh - pt);
      const r1 = Math.min(h, y * sh - pt + kh);
      for (let xo = 0; xo < ow; xo++) {
        const c0 = Math.max(0, xo * sw - pl);
        const c1 = Math.min(w, xo * sw - pl + kw);
        // The first in-image tap seeds the running maxima; later taps replace them only when
        // strictly greater, so ties keep the first position.
        let first = true;
        for (let r = r0; r < r1; r++) {
          for (let col = c0; col < c1; col++) {
            const base = ((b * h + r) * w + col) * c;
            if (first) {
              for (let k = 0; k < c; k++) {
                best[k] = xv[base + k];
                where[k] = base + k;
              }
              first = false;
              continue;
            }
            for (let k = 0; k < c; k++) {
              const v = xv[base + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        if (first) continue;
        const g = ((b * oh + y) * ow + xo) * c;
        for (let k = 0; k < c; k++) dx[where[k]] += dyv[g + k];
      }
    }
  }
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
