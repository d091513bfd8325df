/**
 * Winograd minimal filtering for 3×3 stride-1 convolutions on the wasm backend (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016). An m×m output tile of a 3×3 conv is
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        (d: the α×α input tile, α = m + 2; g: the 3×3 filter)
 * and summed over input channels the ⊙ becomes, for each of the α² positions ξ, one matrix product
 * M_ξ[tile, co] = V_ξ[tile, ci] · U_ξ[ci, co]. The α² products run on XNNPACK's fully-connected
 * GEMM (the wasm BatchMatMul with batch 1); the transforms run in a small wasm-SIMD module working
 * in place on the tfjs heap (./simd). F(4×4, 3×3) does 36 multiplies per 16 outputs instead of 144
 * (4×), F(2×2, 3×3) 16 per 4 (2.25×); the price is the transform passes (memory-bound) and a
 * slightly larger float error (relative ≈1e-6 for F(2,3), ≈1e-5 for F(4,3) here).
 *
 * The same pieces give both gradients of such a layer:
 *   dX = conv(dy, W′), W′[a, b, o, i] = W[2−a, 2−b, i, o], padding 2 − p: again a 3×3 stride-1 conv;
 *   dW = Gᵀ M G with M_ξ[ci, co] = Σ_tiles V_ξ[tile, ci] · (A dY_tile Aᵀ)_ξ[tile, co]: the exact
 *        adjoint of the forward formula in g, one product Vᵀ_ξ · Ŷ_ξ per ξ.
 *
 * Layouts: x NHWC [N, H, W, C]; filter [3, 3, C, K]; the α² planes of V, U, M are separate
 * [1, rows, cols] tensors, because the wasm BatchMatMul runs XNNPACK only for batch 1 and caches the
 * packed right operand by tensor id (so a cached U keeps its packed copy between calls).
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, heapF32, Scratch, type WasmBackendLike } from './backend-ops.ts';
import { winogradKernels, type WinogradKernels } from './simd/index.ts';
import { readEnv } from '../../environment.ts';

/** Output tile edge: F(2×2, 3×3), F(4×4, 3×3) or F(6×6, 3×3). */
export type WinoTile = 2 | 4 | 6;

/** One 3×3 stride-1 conv: x [n, h, w, c] → y [n, oh, ow, k], y[i] reads x[i − pt + a], a = 0..2. */
export interface WinoGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

/** Activation fused into the output transform. */
export type WinoActivation = 'linear' | 'relu' | 'relu6';

/** Tile grid of the output. */
function tiles(g: Pick<WinoGeometry, 'n' | 'oh' | 'ow'>, m: WinoTile): { th: number; tw: number; count: number } {
  const th = Math.ceil(g.oh / m);
  const tw = Math.ceil(g.ow / m);
  return { th, tw, count: g.n * th * tw };
}

/**
 * GEMM multiplies of a tile size relative to the direct conv's 9 per output and channel pair
 * (tiles that hang over the edge count in full); lower is better.
 */
export function winogradCost(g: Pick<WinoGeometry, 'oh' | 'ow'>, m: WinoTile): number {
  const a = m + 2;
  return (Math.ceil(g.oh / m) * Math.ceil(g.ow / m) * a * a) / (9 * g.oh * g.ow);
}

/**
 * The tile size with the fewest multiplies for this output size; on a tie the smaller tile (its
 * transforms have smaller coefficients, so less rounding error).
 */
export function bestTile(g: Pick<WinoGeometry, 'oh' | 'ow'>): WinoTile {
  let best: WinoTile = 2;
  for (const m of [4, 6] as const) if (winogradCost(g, m) < winogradCost(g, best)) best = m;
  return best;
}

/** Above this many multiplies relative to the direct conv (tiles hanging over the edge), skip Winograd. */
const MAX_COST = 0.75;

/**
 * The tile size for a conv (or one of its gradients), or null when Winograd does not apply (not 3×3
 * stride 1 undilated NHWC, channels not multiples of 4) or saves too little (output tiles hanging
 * far over the edge). `MLC_PIPE_WINOGRAD=off` disables, `=force` (or `force`) skips the cost
 * check; `MLC_PIPE_WINOGRAD_TILE=2|4|6` fixes the tile (tests).
 */
export function winogradTile(info: backend_util.Conv2DInfo, force = false): WinoTile | null {
  const mode = readEnv('MLC_PIPE_WINOGRAD');
  if (mode === 'off') return null;
  if (info.filterHeight !== 3 || info.filterWidth !== 3 || info.strideHeight !== 1 || info.strideWidth !== 1)
    return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') return null;
  if (info.inChannels % 4 !== 0 || info.outChannels % 4 !== 0) return null;
  if (info.batchSize * info.outHeight * info.outWidth * info.inChannels === 0) return null; // empty: the stock kernel
  const tile = readEnv('MLC_PIPE_WINOGRAD_TILE');
  const m =
    tile === '2' || tile === '4' || tile === '6'
      ? (Number(tile) as WinoTile)
      : bestTile({ oh: info.outHeight, ow: info.outWidth });
  if (force || mode === 'force') return m;
  if (winogradCost({ oh: info.outHeight, ow: info.outWidth }, m) > MAX_COST) return null;
  return m;
}

/**
 * Whether the GEMMs of a conv with this tile should run transposed (Uᵀ·Vᵀ, packing the transformed
 * input) rather than V·U (packing U): when U is not cached and the tiles are fewer than half the
 * output channels, packing Vᵀ [Cin, tiles] is the smaller job. Packing costs ≈5 ns per element here
 * (XNNPACK packs with a transpose), the GEMM ≈0.07 ns per multiply-add. `MLC_PIPE_WINOGRAD_GEMM=vu|uv`
 * fixes the orientation (tests).
 */
export function transposedGemm(info: backend_util.Conv2DInfo, m: WinoTile, convOutChannels: number): boolean {
  const forced = readEnv('MLC_PIPE_WINOGRAD_GEMM'); // `vu` | `uv`: fix the orientation (tests)
  if (forced === 'vu' || forced === 'uv') return forced === 'uv';
  return tiles({ n: info.batchSize, oh: info.outHeight, ow: info.outWidth }, m).count * 2 < convOutChannels;
}

/** Winograd geometry of a conv. */
export function winogradGeometry(info: backend_util.Conv2DInfo): WinoGeometry {
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    k: info.outChannels,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
    oh: info.outHeight,
    ow: info.outWidth,
  };
}

/** Heap byte address of a tensor's data. */
function addr(backend: WasmBackendLike, info: TensorInfo): number {
  return backend.getMemoryOffset(info.dataId);
}

/**
 * Per-call scratch for the SIMD passes: the α² plane address table, the transform buffers and a
 * zero row (the window of a pixel outside the image points there).
 */
class Pass {
  readonly simd: WinogradKernels;
  private readonly table: TensorInfo;
  readonly tmp: number;
  readonly zero: number;
  constructor(
    private readonly backend: WasmBackendLike,
    scratch: Scratch,
    zeros: number,
  ) {
    this.simd = winogradKernels(backend);
    this.table = scratch.track(backend.makeOutput([64], 'int32')); // α² ≤ 64
    const tmp = scratch.track(backend.makeOutput([2 * 64 * 4 + 4 * 9 * 4], 'float32')); // ≥ every pass's tmp
    const zero = scratch.zeros([zeros]);
    this.tmp = addr(backend, tmp);
    this.zero = addr(backend, zero);
  }
  /** Writes the planes' addresses into the table; returns its address. */
  planes(planes: TensorInfo[]): number {
    (this.backend.typedArrayFromHeap(this.table) as Int32Array).set(planes.map((p) => addr(this.backend, p)));
    return addr(this.backend, this.table);
  }
}

/** `count` tensors [1, rows, cols], tracked in `scratch`. */
function planeTensors(
  backend: WasmBackendLike,
  scratch: Scratch,
  count: number,
  rows: number,
  cols: number,
): TensorInfo[] {
  return Array.from({ length: count }, () => scratch.track(backend.makeOutput([1, rows, cols], 'float32')));
}

/**
 * Transformed filter of one conv, laid out for its GEMMs: `transposed` false = U_ξ [Cin, Cout] (the
 * right operand of V·U), true = U_ξ [Cout, Cin] (the left operand of Uᵀ·Vᵀ), where Cin/Cout are
 * those of the conv it feeds (for dX: Cin = K, Cout = C of the forward conv).
 */
export interface WinoFilter {
  m: WinoTile;
  transposed: boolean;
  planes: TensorInfo[];
}

/**
 * U_ξ = G g Gᵀ as α² tensors owned by the caller, for the forward conv of `filter` [3, 3, C, K]
 * (`dx` false) or for its dX conv (`dx` true: the 180°-rotated, in/out-swapped filter), laid out
 * for the `transposed` GEMM orientation or not. Needs C and K multiples of 4.
 */
export function transformFilter(
  backend: WasmBackendLike,
  filter: TensorInfo,
  m: WinoTile,
  dx: boolean,
  transposed: boolean,
): WinoFilter {
  const [, , c, k] = filter.shape;
  const a = m + 2;
  const layoutKC = dx !== transposed; // planes [K, C] rather than [C, K]
  const planes = Array.from({ length: a * a }, () => backend.makeOutput(layoutKC ? [1, k, c] : [1, c, k], 'float32'));
  const scratch = new Scratch(backend);
  try {
    const pass = new Pass(backend, scratch, 4);
    pass.simd.filterTransform(
      m,
      addr(backend, filter),
      c,
      k,
      dx ? 1 : 0,
      layoutKC ? 1 : 0,
      pass.planes(planes),
      pass.tmp,
    );
  } catch (err) {
    for (const p of planes) backend.disposeData(p.dataId);
    throw err;
  } finally {
    scratch.free();
  }
  return { m, transposed, planes };
}

/** Frees a transformed filter. */
export function disposeFilter(backend: WasmBackendLike, u: WinoFilter): void {
  for (const p of u.planes) backend.disposeData(p.dataId);
}

/**
 * y = act(conv3×3(x, W) + bias) through Winograd with U given ({@link transformFilter}); C and K
 * multiples of 4. Returns a new [N, OH, OW, K] tensor owned by the caller.
 */
export function winogradConv(
  backend: WasmBackendLike,
  x: TensorInfo,
  u: WinoFilter,
  g: WinoGeometry,
  bias: TensorInfo | null,
  activation: WinoActivation,
): TensorInfo {
  const { m } = u;
  const a2 = (m + 2) * (m + 2);
  const { th, tw, count } = tiles(g, m);
  const rows = u.transposed ? Math.ceil(count / 4) * 4 : count; // the SIMD transpose works on 4×4 blocks
  const scratch = new Scratch(backend);
  try {
    const pass = new Pass(backend, scratch, g.c);
    const v = planeTensors(backend, scratch, a2, rows, g.c);
    pass.simd.inputTransform(
      m,
      addr(backend, x),
      g.n,
      g.h,
      g.w,
      g.c,
      g.pt,
      g.pl,
      th,
      tw,
      pass.planes(v),
      pass.zero,
      pass.tmp,
    );
    let prods: TensorInfo[];
    if (!u.transposed) {
      // M_ξ [tiles, K] = V_ξ [tiles, C] · U_ξ [C, K]: packs U (free when U is cached)
      prods = v.map((vq, q) =>
        scratch.track(
          callKernel(backend, 'BatchMatMul', { a: vq, b: u.planes[q] }, { transposeA: false, transposeB: false }),
        ),
      );
    } else {
      // M_ξᵀ [K, tiles] = U_ξ [K, C] · V_ξᵀ [C, tiles]: packs Vᵀ, which is smaller when tiles < K
      for (const p of v) heapF32(backend, p).fill(0, count * g.c);
      const vt = planeTensors(backend, scratch, a2, g.c, rows);
      for (let q = 0; q < a2; q++) pass.simd.transpose(addr(backend, v[q]), rows, g.c, addr(backend, vt[q]));
      const pt = vt.map((p, q) =>
        scratch.track(
          callKernel(backend, 'BatchMatMul', { a: u.planes[q], b: p }, { transposeA: false, transposeB: false }),
        ),
      );
      prods = planeTensors(backend, scratch, a2, rows, g.k);
      for (let q = 0; q < a2; q++) pass.simd.transpose(addr(backend, pt[q]), g.k, rows, addr(backend, prods[q]));
    }
    const y = backend.makeOutput([g.n, g.oh, g.ow, g.k], 'float32');
    const lo = activation === 'linear' ? -Infinity : 0;
    const hi = activation === 'relu6' ? 6 : Infinity;
    pass.simd.outputTransform(
      m,
      pass.planes(prods),
      addr(backend, y),
      g.n,
      g.oh,
      g.ow,
      g.k,
      th,
      tw,
      bias === null ? 0 : addr(backend, bias),
      lo,
      hi,
      pass.tmp,
    );
    return y;
  } finally {
    scratch.free();
  }
}

/** The dX conv of a forward conv `g`: dy [n, oh, ow, k] → dX [n, h, w, c] with the swapped filter. */
export function inputGradGeometry(g: WinoGeometry): WinoGeometry {
  return { n: g.n, h: g.oh, w: g.ow, c: g.k, k: g.c, pt: 2 - g.pt, pl: 2 - g.pl, oh: g.h, ow: g.w };
}

/**
 * dW [3, 3, C, K] of the conv `g` from x and dy through Winograd (C and K multiples of 4).
 * Returns a new tensor owned by the caller.
 */
export function winogradFilterGrad(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  g: WinoGeometry,
  m: WinoTile,
): TensorInfo {
  const a2 = (m + 2) * (m + 2);
  const { th, tw, count } = tiles(g, m);
  const rows = Math.ceil(count / 4) * 4; // the SIMD transpose works on 4×4 blocks
  const scratch = new Scratch(backend);
  try {
    const pass = new Pass(backend, scratch, Math.max(g.c, g.k));
    const v = planeTensors(backend, scratch, a2, rows, g.c);
    const yh = planeTensors(backend, scratch, a2, rows, g.k);
    const vt = planeTensors(backend, scratch, a2, g.c, rows);
    if (rows > count) {
      for (const p of v) heapF32(backend, p).fill(0, count * g.c);
      for (const p of yh) heapF32(backend, p).fill(0, count * g.k);
    }
    pass.simd.inputTransform(
      m,
      addr(backend, x),
      g.n,
      g.h,
      g.w,
      g.c,
      g.pt,
      g.pl,
      th,
      tw,
      pass.planes(v),
      pass.zero,
      pass.tmp,
    );
    pass.simd.outputAdjoint(m, addr(backend, dy), g.n, g.oh, g.ow, g.k, th, tw, pass.planes(yh), pass.zero, pass.tmp);
    for (let q = 0; q < a2; q++) pass.simd.transpose(addr(backend, v[q]), rows, g.c, addr(backend, vt[q]));
    const prods = vt.map((p, q) =>
      scratch.track(callKernel(backend, 'BatchMatMul', { a: p, b: yh[q] }, { transposeA: false, transposeB: false })),
    );
    const dw = backend.makeOutput([3, 3, g.c, g.k], 'float32');
    pass.simd.filterAdjoint(m, pass.planes(prods), addr(backend, dw), g.c, g.k, pass.tmp);
    return dw;
  } finally {
    scratch.free();
  }
}
