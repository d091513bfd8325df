/**
 * Custom wasm kernels that make training work (and fast) on the wasm backend. Importing this
 * module registers them; `initEngine` imports it when it selects wasm. Each kernel lives in its
 * own file; see their headers for the formulation.
 */
import type { KernelConfig } from '@tensorflow/tfjs';
import { registerWasmKernel } from './register.ts';
import { registerFusedBatchNormGrad } from '../gradients/fused-batch-norm.ts';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.ts';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { leadingReduction } from './reduce-leading.ts';
import { tf } from '../tf.ts';

/** The stock wasm kernel `name`, captured once (so re-importing never wraps a wrapper). */
const stockKernels = new Map<string, KernelConfig>();
function stockKernel(name: string): KernelConfig {
  let config = stockKernels.get(name);
  if (config == null) {
    config = tf.getKernel(name, 'wasm') as KernelConfig | undefined;
    if (config == null) throw new Error(`wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm first`);
    stockKernels.set(name, config);
  }
  return config;
}

/** Names of the kernels this module registers for the wasm backend. */
export const customWasmKernels: readonly string[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  maxPoolGradConfig,
  leadingReduction(stockKernel('Sum'), false),
  leadingReduction(stockKernel('Mean'), true),
].map((config) => {
  registerWasmKernel(config);
  return config.kernelName;
});

registerFusedBatchNormGrad();
