/**
 * Registers a custom kernel for the wasm backend, replacing a stock one of the same name without
 * the "already registered" warning.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './backend-ops.ts';

export function registerWasmKernel(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

const STOCK = Symbol('stock kernel');
type Wrapped = ((args: KernelArgs) => TensorInfo) & { [STOCK]?: KernelConfig };

/**
 * A config for wasm kernel `name` that tries `fast` first and runs the stock kernel when `fast`
 * returns null (a case it does not handle). Captures the stock kernel when called; wrapping an
 * already wrapped kernel wraps its stock kernel, never the wrapper.
 */
export function wrapWasmKernel(name: string, fast: (args: KernelArgs) => TensorInfo | null): KernelConfig {
  const current = tf.getKernel(name, 'wasm');
  if (current == null)
    throw new Error(`wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm first`);
  const stock = (current.kernelFunc as Wrapped)[STOCK] ?? current;
  const kernelFunc: Wrapped = (args) => fast(args) ?? (stock.kernelFunc(args as never) as TensorInfo);
  kernelFunc[STOCK] = stock;
  return {
    kernelName: name,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'],
  };
}
