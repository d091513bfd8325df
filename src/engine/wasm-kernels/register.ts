/**
 * Registers a custom kernel for the wasm backend, replacing a stock one of the same name without
 * the "already registered" warning.
 */
import { tf } from '../tf.ts';
import type { KernelConfig } from '@tensorflow/tfjs';

export function registerWasmKernel(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}
