/**
 * Batch norm on the addon (native/src/norm.cc): tfjs' FusedBatchNorm (normalise with given
 * statistics), and the training form `MlcPipeBatchNormTrain` (batch statistics, y, and the saved
 * inverse std) whose gradient is one native call (../../batch-norm-training.ts registers it);
 * {@link movingAveragesInPlace} updates a layer's moving statistics in one call.
 */
import type { KernelConfig, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tf.ts';
import { NATIVE, type NativeBackend } from '../backend.ts';
import { nativeKernel } from './kernel.ts';
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
 * buffers in place when nothing else holds them (the optimizers' rule, ./optim.ts); returns false
 * (nothing done) when the backend is not native or a variable is shared.
 */
export function movingAveragesInPlace(movingMean: Tensor, movingVariance: Tensor, mean: Tensor, variance: Tensor, momentum: number): boolean {
  if (tf.getBackend() !== NATIVE) return false;
  const be = tf.backend() as unknown as NativeBackend;
  const all = [movingMean, movingVariance, mean, variance];
  if (!all.every((t) => t.dtype === 'float32') || be.refCount(movingMean.dataId) !== 1 || be.refCount(movingVariance.dataId) !== 1) return false;
  const outs = be.run('MlcPipeMovingAverages', all, [momentum, 1]);
  if (outs.length === 0) return true;
  // The addon found a buffer shared after all (a view): nothing was written.
  for (const o of outs) be.disposeData(o.dataId);
  return false;
}
