/**
 * Batch norm on the addon (native/src/norm.cc): tfjs' FusedBatchNorm (normalise with given
 * statistics), and the training form `MlcPipeBatchNormTrain` (batch statistics, y, and the saved
 * inverse std) whose gradient is one native call (../../batch-norm-training.ts registers it);
 * {@link nativeMovingAverages} updates a layer's moving statistics in one call.
 */
import type { KernelConfig, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tf.ts';
import { NATIVE, type NativeBackend } from '../backend.ts';
import { nativeKernel } from './kernel.ts';
import { sole } from './optim.ts';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../kernel-names.ts';

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

/**
 * moving ← moving − (moving − batch)·(1 − momentum) for a layer's moving mean and variance, as one
 * addon call outside the tfjs engine: no kernels, tape entries or tape clones (tfjs-layers' formula
 * is 3 kernels and 5 clones per statistic when it runs inside a gradient). Writes the variables'
 * buffers in place when nothing else holds them (the optimizers' rule, ./optim.ts) and returns [];
 * when the addon finds a buffer shared after all (a view) it returns the new [mean, variance]
 * tensors for the caller to write (and dispose). Null (nothing done) when the backend is not
 * native or a variable is shared.
 */
export function nativeMovingAverages(movingMean: Tensor, movingVariance: Tensor, mean: Tensor, variance: Tensor, momentum: number): Tensor[] | null {
  if (tf.getBackend() !== NATIVE) return null;
  const be = tf.backend() as unknown as NativeBackend;
  const all = [movingMean, movingVariance, mean, variance];
  if (!all.every((t) => t.dtype === 'float32') || !sole(be, movingMean) || !sole(be, movingVariance)) return null;
  return be.run('MlcPipeMovingAverages', all, [momentum, 1]).map((o) => tf.engine().makeTensorFromTensorInfo(o));
}
