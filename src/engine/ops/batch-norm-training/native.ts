/**
 * Batch norm training on the addon (native/src/norm.cc): `MlcPipeBatchNormTrain` (batch statistics,
 * y, and the saved inverse std) and its gradient as one native call each (./batch-norm-training.ts
 * registers the gradient); {@link nativeMovingAverages} updates a layer's moving statistics in one call.
 */
import type { KernelConfig, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tf.ts';
import { NATIVE, type NativeBackend } from '../../native/backend.ts';
import { nativeKernel, sole } from '../../native/kernels/kernel.ts';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, MOVING_AVERAGES } from './name.ts';

export const batchNormTrainingKernels: KernelConfig[] = [
  nativeKernel(BATCH_NORM_TRAIN, ({ x, scale, offset }, be, attrs) =>
    be.run(BATCH_NORM_TRAIN, [x!, scale!, offset!], [attrs.epsilon as number]),
  ),
  nativeKernel(BATCH_NORM_TRAIN_GRAD, ({ dy, x, scale, mean, invstd }, be, attrs) =>
    be.run(BATCH_NORM_TRAIN_GRAD, [dy!, x!, scale!, mean!, invstd!], [attrs.epsilon as number]),
  ),
];

/**
 * moving ← moving − (moving − batch)·(1 − momentum) for a layer's moving mean and variance, as one
 * addon call outside the tfjs engine: no kernels, tape entries or tape clones (tfjs-layers' formula
 * is 3 kernels and 5 clones per statistic when it runs inside a gradient). Writes the variables'
 * buffers in place when nothing else holds them (the optimizers' rule, `sole`) and returns [];
 * when the addon finds a buffer shared after all (a view) it returns the new [mean, variance]
 * tensors for the caller to write (and dispose). Null (nothing done) when the backend is not
 * native or a variable is shared.
 */
export function nativeMovingAverages(
  movingMean: Tensor,
  movingVariance: Tensor,
  mean: Tensor,
  variance: Tensor,
  momentum: number,
): Tensor[] | null {
  if (tf.getBackend() !== NATIVE) return null;
  const be = tf.backend() as unknown as NativeBackend;
  const all = [movingMean, movingVariance, mean, variance];
  if (!all.every((t) => t.dtype === 'float32') || !sole(be, movingMean) || !sole(be, movingVariance)) return null;
  return be.run(MOVING_AVERAGES, all, [momentum, 1]).map((o) => tf.engine().makeTensorFromTensorInfo(o));
}
