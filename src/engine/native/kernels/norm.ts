/**
 * Batch norm on the addon (native/src/norm.cc): tfjs' FusedBatchNorm (normalise with given
 * statistics), and the training form `MlcPipeBatchNormTrain` (batch statistics, y, and the saved
 * inverse std) whose gradient is one native call (../../batch-norm-training.ts registers it).
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.ts';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../batch-norm-training.ts';

export const normKernels: KernelConfig[] = [
  nativeKernel('FusedBatchNorm', ({ x, mean, variance, offset, scale }, be, attrs) => {
    const inputs = [x!, mean!, variance!];
    if (offset) inputs.push(offset);
    if (scale) inputs.push(scale);
    return be.run1('FusedBatchNorm', inputs, [(attrs.varianceEpsilon as number | undefined) ?? 0.001, offset ? 1 : 0, scale ? 1 : 0]);
  }),
  nativeKernel(BATCH_NORM_TRAIN, ({ x, scale, offset }, be, attrs) =>
    be.run('MlcPipeBatchNormTrain', [x!, scale!, offset!], [attrs.epsilon as number])),
  nativeKernel(BATCH_NORM_TRAIN_GRAD, ({ dy, x, scale, mean, invstd }, be, attrs) =>
    be.run('MlcPipeBatchNormTrainGrad', [dy!, x!, scale!, mean!, invstd!], [attrs.epsilon as number])),
];
