/**
 * Single-pass layout transforms over the wasm heap that the backprop kernels need and that no
 * stock kernel does in one go: the spatially flipped, in/out-swapped filter of a transposed conv,
 * and the stride-dilated, padded gradient ("zero insertion").
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, type Scratch, type WasmBackendLike } from './backend-ops.ts';

/**
 * Returns W' with W'[a, b, o, i] = W[KH−1−a, KW−1−b, i, o] for W = [KH, KW, I, O] (shape
 * [KH, KW, O, I]), tracked in `scratch`. With `depthwise`, W = [KH, KW, C, M] becomes
 * [KH, KW, C·M, 1] (flip only, channels flattened).
 */
export function flipFilter(
  backend: WasmBackendLike,
  scratch: Scratch,
  filter: TensorInfo,
  depthwise = false,
): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = scratch.track(backend.makeOutput(depthwise ? [kh, kw, ci * co, 1] : [kh, kw, co, ci], 'float32'));
  const src = heapF32(backend, filter);
  const dst = heapF32(backend, out);
  const tap = ci * co;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const s0 = ((kh - 1 - a) * kw + (kw - 1 - b)) * tap;
      const d0 = (a * kw + b) * tap;
      if (depthwise) {
        dst.set(src.subarray(s0, s0 + tap), d0);
        continue;
      }
      for (let i = 0; i < ci; i++) {
        const si = s0 + i * co;
        let di = d0 + i;
        for (let o = 0; o < co; o++, di += ci) dst[di] = src[si + o];
      }
    }
  }
  return out;
}

/**
 * Returns a zero tensor [N, HP, WP, C] with dy[n, i, j, :] written at row i·sh + top, column
 * j·sw + left (positions outside are dropped, so negative `top`/`left` crop), tracked in `scratch`.
 */
export function spreadPad(
  backend: WasmBackendLike,
  scratch: Scratch,
  dy: TensorInfo,
  sh: number,
  sw: number,
  top: number,
  left: number,
  hp: number,
  wp: number,
): TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const out = scratch.zeros([n, hp, wp, c]);
  const src = heapF32(backend, dy);
  const dst = heapF32(backend, out);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r = i * sh + top;
      if (r < 0 || r >= hp) continue;
      const srcRow = (b * oh + i) * ow * c;
      const dstRow = (b * hp + r) * wp * c;
      if (sw === 1 && left >= 0 && left + ow <= wp) {
        dst.set(src.subarray(srcRow, srcRow + ow * c), dstRow + left * c);
        continue;
      }
      for (let j = 0; j < ow; j++) {
        const col = j * sw + left;
        if (col < 0 || col >= wp) continue;
        const s = srcRow + j * c;
        const d = dstRow + col * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
      }
    }
  }
  return out;
}
