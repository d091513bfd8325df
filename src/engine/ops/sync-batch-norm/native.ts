/**
 * Synchronised batch norm on the addon (native/src/sync_norm.cc): the forward and its gradient as
 * one native call each, each with one c10d all-reduce over the process group the rank joined.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { nativeKernel } from '../../native/kernels/kernel.ts';
import { SYNC_BATCH_NORM_TRAIN, SYNC_BATCH_NORM_TRAIN_GRAD } from './name.ts';

export const syncBatchNormKernels: KernelConfig[] = [
  nativeKernel(SYNC_BATCH_NORM_TRAIN, ({ x, scale, offset }, be, attrs) =>
    be.run(SYNC_BATCH_NORM_TRAIN, [x!, scale!, offset!], [attrs.epsilon as number, attrs.contributes ? 1 : 0]),
  ),
  nativeKernel(SYNC_BATCH_NORM_TRAIN_GRAD, ({ dy, x, scale, mean, invstd }, be, attrs) =>
    be.run(
      SYNC_BATCH_NORM_TRAIN_GRAD,
      [dy!, x!, scale!, mean!, invstd!],
      [attrs.epsilon as number, attrs.weight as number],
    ),
  ),
];
