/**
 * `Conv2D` and `FusedConv2D` for the wasm backend: 3×3 stride-1 convs run through Winograd
 * (./winograd.ts) when that is cheaper, everything else through the stock XNNPACK kernels.
 *
 * When it is cheaper: Winograd's α² GEMMs pack their right operand U on every call unless U is
 * cached. A filter seen a second time (inference: the same weights every batch) gets its U cached
 * while the filter tensor lives, and the packed copy with it, so inference always wins (2.1× over
 * ResNet-18's 3×3 stride-1 layers, bench/engine/winograd.ts). A filter seen once (training: new
 * weights every step) pays the transform and XNNPACK's packing (≈5 ns per element) of whichever
 * GEMM operand is smaller: U [C, K] when there are ≥ K/2 tiles, else the transformed input
 * (transposedGemm in ./winograd.ts). `MLC_PIPE_WINOGRAD=off` disables Winograd, `=force` uses it
 * wherever it applies (tests, profiling).
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { KernelArgs, WasmBackendLike } from './backend-ops.ts';
import { wrapWasmKernel } from './register.ts';
import {
  disposeFilter,
  transformFilter,
  transposedGemm,
  winogradConv,
  winogradGeometry,
  winogradTile,
  type WinoActivation,
  type WinoFilter,
} from './winograd.ts';

// ---- U cache: filters seen twice keep their transform while the filter tensor lives -------------

interface BackendWithData extends WasmBackendLike {
  dataIdMap: { has(dataId: object): boolean };
}
const seen = new Set<object>();
const cached = new Map<object, WinoFilter>();

/** Drops entries whose filter tensor was disposed. */
function sweep(backend: BackendWithData): void {
  for (const id of seen) if (!backend.dataIdMap.has(id)) seen.delete(id);
  for (const [id, u] of cached) {
    if (!backend.dataIdMap.has(id)) {
      disposeFilter(backend, u);
      cached.delete(id);
    }
  }
}

/** Frees every cached transform (engine shutdown, tests). */
export function clearWinogradCache(backend: WasmBackendLike): void {
  for (const u of cached.values()) disposeFilter(backend, u);
  cached.clear();
  seen.clear();
}

/** Number of cached filter transforms (tests). */
export function winogradCacheSize(): number {
  return cached.size;
}

// ---- the kernel -------------------------------------------------------------------------------

interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

const ACTIVATIONS: Record<string, WinoActivation> = { linear: 'linear', relu: 'relu', relu6: 'relu6' };

/** Winograd for an eligible call, else null (the stock kernel runs). */
function winogradKernel(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as BackendWithData;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs as unknown as Attrs;
  const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
  const biasOk = bias == null || (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
  if (activation === undefined || preluActivationWeights != null || !biasOk || attrs.dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x!.shape as [number, number, number, number],
    filter!.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  sweep(backend);
  const id = filter!.dataId;
  const m = winogradTile(info);
  const keep = seen.has(id); // every cached filter was seen first
  seen.add(id);
  if (m === null) return null;
  // A filter seen before (inference) gets its U cached in the V·U orientation; a new one
  // (training) is transformed for whichever orientation packs less.
  let u = cached.get(id);
  if (u === undefined || u.m !== m) {
    if (u !== undefined) disposeFilter(backend, u);
    u = transformFilter(backend, filter!, m, false, !keep && transposedGemm(info, m, info.outChannels));
    if (keep) cached.set(id, u);
  }
  try {
    return winogradConv(backend, x!, u, winogradGeometry(info), bias ?? null, activation);
  } finally {
    if (cached.get(id) !== u) disposeFilter(backend, u);
  }
}

/** Kernel configs wrapping the stock Conv2D / FusedConv2D (built when registered: they capture the stock kernels). */
export function conv2dWinogradConfigs(): KernelConfig[] {
  return [wrapWasmKernel('Conv2D', winogradKernel), wrapWasmKernel('FusedConv2D', winogradKernel)];
}
