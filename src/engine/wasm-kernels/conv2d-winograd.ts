/**
 * `Conv2D` and `FusedConv2D` for the wasm backend: 3×3 stride-1 convs run through Winograd
 * (./winograd.ts) when that is cheaper, everything else through the stock XNNPACK kernels.
 *
 * When it is cheaper: Winograd's α² GEMMs pack their right operand U on every call unless U is
 * cached. A filter seen a second time (inference: the same weights every batch) gets its U cached
 * while the filter tensor lives, and the packed copy with it, so inference always wins (2.1× over
 * ResNet-18's 3×3 stride-1 layers, bench/engine/winograd.ts). A filter seen once (training: new
 * weights every step) pays the transform and the packing (≈5 ns per element of C·K·α²), which only
 * pays off when the GEMM has enough rows: tiles ≥ K/2 (measured per layer; see
 * winogradTile in ./winograd.ts). `MLC_PIPE_WINOGRAD=off` disables Winograd, `=force` uses it wherever it
 * applies (tests, profiling).
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { backend_util } from '@tensorflow/tfjs';
import type { KernelArgs, WasmBackendLike } from './backend-ops.ts';
import {
  bestTile, disposeFilter, transformFilter, winogradConv, winogradGeometry, winogradTile,
  type WinoActivation, type WinoFilter, type WinoTile,
} from './winograd.ts';

// ---- U cache: filters seen twice keep their transform while the filter tensor lives -------------

interface BackendWithData extends WasmBackendLike { dataIdMap: { has(dataId: object): boolean } }
const seen = new Map<object, WinoTile>();
const cached = new Map<object, WinoFilter>();

/** Drops entries whose filter tensor was disposed. */
function sweep(backend: BackendWithData): void {
  for (const id of seen.keys()) if (!backend.dataIdMap.has(id)) seen.delete(id);
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

const STOCK = Symbol('stock kernel');
type Wrapped = ((args: KernelArgs) => TensorInfo) & { [STOCK]?: KernelConfig };

function wrap(name: 'Conv2D' | 'FusedConv2D'): KernelConfig {
  const current = tf.getKernel(name, 'wasm');
  if (current == null) throw new Error(`wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm first`);
  const stock = (current.kernelFunc as Wrapped)[STOCK] ?? current; // wrapping twice must not wrap the wrapper
  const kernelFunc: Wrapped = (args: KernelArgs): TensorInfo => {
    const backend = args.backend as BackendWithData;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as Attrs;
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    const biasOk = bias == null || (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
    if (activation !== undefined && preluActivationWeights == null && biasOk && attrs.dataFormat !== 'NCHW') {
      const info = tf.backend_util.computeConv2DInfo(
        x!.shape as [number, number, number, number], filter!.shape as [number, number, number, number],
        attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
      sweep(backend);
      const id = filter!.dataId;
      const plan = winogradTile(info, cached.has(id) || seen.has(id) ? null : info.outChannels);
      if (plan !== null) {
        let u = cached.get(id);
        if (u === undefined || u.m !== plan) {
          if (u !== undefined) disposeFilter(backend, u);
          u = transformFilter(backend, filter!, plan, false);
          if (seen.has(id)) cached.set(id, u);
          else seen.set(id, plan);
        }
        try {
          return winogradConv(backend, x!, u, winogradGeometry(info), bias ?? null, activation);
        } finally {
          if (cached.get(id) !== u) disposeFilter(backend, u);
        }
      }
      if (!seen.has(id)) seen.set(id, bestTile({ oh: info.outHeight, ow: info.outWidth }));
    }
    return stock.kernelFunc(args as never) as TensorInfo;
  };
  kernelFunc[STOCK] = stock;
  return { kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}

/** Kernel configs wrapping the stock Conv2D / FusedConv2D (built when registered: they capture the stock kernels). */
export function conv2dWinogradConfigs(): KernelConfig[] {
  return [wrap('Conv2D'), wrap('FusedConv2D')];
}
