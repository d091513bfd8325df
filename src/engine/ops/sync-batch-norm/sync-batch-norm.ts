/**
 * Batch norm in training mode with the batch statistics of all ranks (PyTorch's SyncBatchNorm),
 * for data-parallel training's `sync_bn`: one addon kernel forward and one backward, each with a
 * c10d all-reduce (native/src/sync_norm.cc derives the formulas). Only the native engine has it.
 *
 *   μ, σ² = the mean and biased variance over every rank's rows (all axes but the last);
 *   y = γ·(x − μ)/√(σ² + ε) + β;  the moving variance gets the unbiased σ²·M/(M − 1), M = all values per channel.
 * Gradient: dx is the global batch's (∂L/∂x for L = Σ_r w_r·L_r, divided by this rank's weight w_r,
 * which the loop's gradient all-reduce multiplies back); dγ, dβ are this rank's own sums.
 */
import { tf } from '../../tf.ts';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { batchNormGradFunc } from '../batch-norm-training/batch-norm-training.ts';
import type { BatchNormSync } from '../../distributed/batch-norm-sync.ts';
import { SYNC_BATCH_NORM_TRAIN, SYNC_BATCH_NORM_TRAIN_GRAD } from './name.ts';

// One kernel (and one all-reduce) gives all three gradients; the closures share it.
const gradFunc = batchNormGradFunc(SYNC_BATCH_NORM_TRAIN_GRAD);

let registered = false;

function registerGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: SYNC_BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, false, true, false],
    gradFunc: gradFunc as GradConfig['gradFunc'],
  });
}

/** True when the active backend has synchronised batch norm (the native engine, an addon with the op). */
export function syncBatchNormAvailable(): boolean {
  return tf.getKernel(SYNC_BATCH_NORM_TRAIN, tf.getBackend()) != null;
}

/**
 * Normalises `x` (channels last, rank 2 or 4) with the statistics of all ranks' batches; returns y,
 * the global mean, and the global unbiased variance (for the moving averages).
 */
export function syncBatchNormTraining(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
  sync: BatchNormSync,
): { y: Tensor; mean: Tensor; unbiasedVariance: Tensor } {
  if (!syncBatchNormAvailable())
    throw new Error(
      `synchronised batch norm (sync_bn) runs on the native engine with an addon that has it (active: ${tf.getBackend()}; rebuild: npm run build:native)`,
    );
  registerGradient();
  const attrs = { epsilon, contributes: sync.contributes, weight: sync.weight };
  const [y, mean, variance, invstd, unbiased] = tf
    .engine()
    .runKernel(SYNC_BATCH_NORM_TRAIN, { x, scale: gamma, offset: beta }, attrs) as Tensor[];
  tf.dispose([variance!, invstd!]);
  return { y: y!, mean: mean!, unbiasedVariance: unbiased! };
}
