/**
 * Small bridge used by the custom wasm kernels: call another kernel registered for the wasm
 * backend directly (no engine bookkeeping, no tape), view a tensor's bytes in the wasm heap, and
 * free intermediates. Every custom kernel builds on the backend's own XNNPACK-backed kernels
 * (Conv2D, DepthwiseConv2dNative, Transpose, Slice, Sum) through these helpers.
 */
import { tf } from '../tf.ts';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of `BackendWasm` the custom kernels use (the class is not exported as a type we can import cheaply). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  /** Heap byte address of a tensor's data. */
  getMemoryOffset(dataId: object): number;
}

/** Arguments every kernelFunc receives. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/**
 * Runs the wasm backend's registered kernel `name` directly and returns its output TensorInfo,
 * which the caller owns (dispose it with {@link Scratch.free} or return it).
 */
export function callKernel(
  backend: WasmBackendLike,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel == null)
    throw new Error(`wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm first`);
  return kernel.kernelFunc({ inputs, backend, attrs } as never) as TensorInfo;
}

/** A float32 view of `info`'s data in the wasm heap; take it after the last allocation (heap growth detaches views). */
export function heapF32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Same data, new shape (no copy). Only for infos this kernel owns. */
export function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * Tracks intermediates a kernel allocates so they are freed even when a sub-kernel throws.
 * Use `track(x)` for every temporary and `free()` in `finally`; the result returned to the engine
 * must not be tracked.
 */
export class Scratch {
  private readonly held: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackendLike) {}

  /** Registers `info` for disposal and returns it. */
  track(info: TensorInfo): TensorInfo {
    this.held.push(info);
    return info;
  }

  /** Stops tracking `info` (it becomes the kernel's output). */
  untrack(info: TensorInfo): void {
    const i = this.held.indexOf(info);
    if (i >= 0) this.held.splice(i, 1);
  }

  /** Allocates a zero-filled float32 tensor of `shape` and tracks it. */
  zeros(shape: number[]): TensorInfo {
    const info = this.track(this.backend.makeOutput(shape, 'float32'));
    heapF32(this.backend, info).fill(0);
    return info;
  }

  /** Frees everything tracked. */
  free(): void {
    for (const info of this.held.splice(0)) this.backend.disposeData(info.dataId);
  }
}

/** Explicit 4-D padding in the form the Conv2D kernels accept: [[0,0],[top,bottom],[left,right],[0,0]]. */
export function explicitPad(top: number, bottom: number, left: number, right: number): number[][] {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
