/**
 * How a native kernel is declared: `nativeKernel(name, fn)` gives the tfjs KernelConfig for the
 * `native` backend. A kernel returns null for a case it does not take (NCHW data, exotic
 * broadcasting…), which then runs the cpu backend's implementation through ./fallback.ts.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE, type NativeBackend } from '../backend.ts';
import { runOnCpu } from './fallback.ts';

export type NativeKernelFn = (
  inputs: NamedTensorInfoMap,
  backend: NativeBackend,
  attrs: NamedAttrMap,
) => TensorInfo | TensorInfo[] | null;

export function nativeKernel(name: string, fn: NativeKernelFn): KernelConfig {
  return {
    kernelName: name,
    backendName: NATIVE,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as NativeBackend;
      return fn(inputs, be, attrs ?? {}) ?? runOnCpu(name, inputs, be, attrs ?? {});
    },
  };
}

/** tfjs fused activations as the addon's codes (native/src/registry.h). */
const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  prelu: 5,
  sigmoid: 6,
};

export function activationCode(name: unknown): number | null {
  return ACTIVATIONS[(name as string | undefined) ?? 'linear'] ?? null;
}

/** A length-prefixed list attribute, the layout the addon's `OpArgs::list` reads. */
export function list(values: readonly number[]): number[] {
  return [values.length, ...values];
}

/**
 * True when `t`'s buffer belongs to `t` alone: tfjs counts every tensor object on a dataId in the
 * backend's refCount (clones, variables made from a tensor), and the addon checks that no view
 * shares the storage.
 */
export function sole(be: NativeBackend, t: Tensor): boolean {
  return be.refCount(t.dataId) === 1;
}
