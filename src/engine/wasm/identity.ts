/**
 * `Identity` for the wasm backend without a copy: the output shares the input's buffer and bumps
 * its reference count, as the cpu backend's Identity and the wasm Reshape already do (tfjs tensors
 * are immutable; Variable.assign swaps buffers rather than writing into them). The stock wasm
 * Identity copies, and tfjs-core clones every tensor it saves for the backward pass through it:
 * 72 activation-sized copies per ResNet-18 training step (≈50 ms at 48×144, batch 32).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './backend-ops.ts';

export function identity(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelConfig['kernelFunc'],
};
