/**
 * `Sum` and `Mean` over every axis but the last (the per-channel reductions of batch norm and its
 * gradient) for the wasm backend. The stock kernels transpose the reduced axes innermost first — a
 * full copy of the activation — then reduce; this walks the NHWC data once, contiguously, with
 * float64 per-channel accumulators. Any other reduction (or dtype) goes to the stock kernel.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';

/** True when `axis` names exactly the axes 0 … rank−2 of a rank ≥ 2 tensor. */
function isLeadingAxes(axis: number | number[], rank: number): boolean {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  return rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
}

function reduceLeading(backend: WasmBackendLike, x: TensorInfo, keepDims: boolean, mean: boolean): TensorInfo {
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c], 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const acc = new Float64Array(c);
  for (let r = 0, p = 0; r < rows; r++) for (let k = 0; k < c; k++, p++) acc[k] += src[p];
  const scale = mean ? 1 / rows : 1;
  for (let k = 0; k < c; k++) dst[k] = acc[k] * scale;
  return out;
}

/** Wraps the stock reduction `stock` with the fast per-channel path. */
export function leadingReduction(stock: KernelConfig, mean: boolean): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || !isLeadingAxes(axis, x.shape.length) || x.shape.includes(0)) {
      return stock.kernelFunc(args as never) as TensorInfo;
    }
    return reduceLeading(args.backend as WasmBackendLike, x, keepDims, mean);
  };
  return { ...stock, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}
