/**
 * Conv2D gradients as plain XNNPACK matrix products around JS patch passes (see ./im2col.ts):
 *   dW[(a,b,ci), co] = colsᵀ[(a,b,ci), m] · dy[m, co]                      (one gather + one matmul)
 *   dX = col2im(dy[m, co] · Wᵀ[co, (a,b,ci)])  or  col2im(W · dyᵀ)ᵀ          (one matmul + one scatter)
 * Strides, padding and leftover rows are handled by the gathers, so there is no zero insertion and
 * no filter flip. The smaller of Wᵀ and dyᵀ is formed for dX.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, heapF32, Scratch, view, type WasmBackendLike } from './backend-ops.ts';
import { col2im, col2imTransposed, im2colTransposed, transpose2d, type PatchGeometry } from './im2col.ts';
import { winogradKernels } from './simd/index.ts';

/**
 * dst [cols, rows] = src [rows, cols]ᵀ: the SIMD 4×4-block transpose (./simd/winograd.as.ts) when
 * both sides are multiples of 4, else the blocked JS one.
 */
function transposeInto(backend: WasmBackendLike, src: TensorInfo, rows: number, cols: number, dst: TensorInfo): void {
  if (rows % 4 === 0 && cols % 4 === 0) {
    winogradKernels(backend).transpose(
      backend.getMemoryOffset(src.dataId),
      rows,
      cols,
      backend.getMemoryOffset(dst.dataId),
    );
  } else {
    transpose2d(heapF32(backend, src), rows, cols, heapF32(backend, dst));
  }
}

const isPointwise = (g: PatchGeometry): boolean =>
  g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.oh === g.h && g.ow === g.w;

/** dW = [KH, KW, C, Cout] from x [N, H, W, C] and dy [N, OH, OW, Cout]. */
export function filterGradMatmul(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  g: PatchGeometry,
): TensorInfo {
  const cout = dy.shape[3];
  const m = g.n * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  const scratch = new Scratch(backend);
  try {
    const colsT = scratch.track(backend.makeOutput([1, k, m], 'float32'));
    if (isPointwise(g)) transposeInto(backend, x, m, k, colsT);
    else im2colTransposed(heapF32(backend, x), g, heapF32(backend, colsT));
    const dw = callKernel(
      backend,
      'BatchMatMul',
      { a: colsT, b: view(dy, [1, m, cout]) },
      { transposeA: false, transposeB: false },
    );
    return view(dw, [g.kh, g.kw, g.c, cout]);
  } finally {
    scratch.free();
  }
}

/** dX = [N, H, W, C] from dy [N, OH, OW, Cout] and the filter [KH, KW, C, Cout]. */
export function inputGradMatmul(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  g: PatchGeometry,
): TensorInfo {
  const cout = dy.shape[3];
  const m = g.n * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  const scratch = new Scratch(backend);
  try {
    if (m <= k && !isPointwise(g)) {
      const dyT = scratch.track(backend.makeOutput([1, cout, m], 'float32'));
      transposeInto(backend, dy, m, cout, dyT);
      const colsT = scratch.track(
        callKernel(
          backend,
          'BatchMatMul',
          { a: view(filter, [1, k, cout]), b: dyT },
          { transposeA: false, transposeB: false },
        ),
      );
      const dx = scratch.zeros([g.n, g.h, g.w, g.c]);
      col2imTransposed(heapF32(backend, colsT), g, heapF32(backend, dx));
      return keep(scratch, dx);
    }
    const wT = scratch.track(backend.makeOutput([1, cout, k], 'float32'));
    transposeInto(backend, filter, k, cout, wT);
    const cols = callKernel(
      backend,
      'BatchMatMul',
      { a: view(dy, [1, m, cout]), b: wT },
      { transposeA: false, transposeB: false },
    );
    if (isPointwise(g)) return view(cols, [g.n, g.h, g.w, g.c]);
    scratch.track(cols);
    const dx = scratch.zeros([g.n, g.h, g.w, g.c]);
    col2im(heapF32(backend, cols), g, heapF32(backend, dx));
    return keep(scratch, dx);
  } finally {
    scratch.free();
  }
}

/** Removes `info` from `scratch` so it survives `free()` (it becomes the kernel's output). */
function keep(scratch: Scratch, info: TensorInfo): TensorInfo {
  scratch.untrack(info);
  return info;
}
