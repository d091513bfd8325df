/**
 * `Sum` and `Mean` for the wasm backend when they reduce an NHWC tensor over every axis but the
 * channels (batch-norm statistics in training and the batch-norm/bias gradients): one SIMD pass
 * (./simd/reduce.as.ts) instead of the stock kernel's transpose-then-reduce. Every other reduction
 * goes to the stock kernel.
 *
 * Measured (ResNet-18 48×144 b32 training step, tf.profile): the stock Sum took 10 ms for
 * [32, 24, 72, 64] → [64] (2.8 ns per element, most of it the transpose) and Sum + Mean together
 * 176 ms per step.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Scratch, type KernelArgs, type WasmBackendLike } from './backend-ops.ts';
import { wrapWasmKernel } from './register.ts';
import { reduceKernels } from './simd/index.ts';

interface Attrs {
  axis: number | number[];
  keepDims: boolean;
}

/** The per-channel reduction of `args`, or null when it is some other reduction. */
function channelReduce(args: KernelArgs, mean: boolean): TensorInfo | null {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as Attrs;
  const rank = x.shape.length;
  const c = x.shape[rank - 1];
  if (x.dtype !== 'float32' || rank < 2 || c % 4 !== 0) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return null;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  if (rows === 0) return null;
  const out = backend.makeOutput(keepDims ? [...Array<number>(rank - 1).fill(1), c] : [c], 'float32');
  const scratch = new Scratch(backend);
  try {
    const tmp = scratch.track(backend.makeOutput([3 * c], 'float32'));
    reduceKernels(backend).channelSum(
      backend.getMemoryOffset(x.dataId),
      rows,
      c,
      mean ? 1 / rows : 1,
      backend.getMemoryOffset(out.dataId),
      backend.getMemoryOffset(tmp.dataId),
    );
  } finally {
    scratch.free();
  }
  return out;
}

/** Kernel configs wrapping the stock Sum / Mean (built when registered: they capture the stock kernels). */
export function channelReduceConfigs(): KernelConfig[] {
  return [
    wrapWasmKernel('Sum', (args) => channelReduce(args, false)),
    wrapWasmKernel('Mean', (args) => channelReduce(args, true)),
  ];
}
