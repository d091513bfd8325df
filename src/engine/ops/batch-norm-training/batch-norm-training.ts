/**
 * Batch norm in training mode as one kernel with a one-kernel gradient, where the backend has
 * them (native: at::native_batch_norm / native_batch_norm_backward). tfjs-layers computes it as
 * moments (Mean, Sub, Square, Mean) then FusedBatchNorm, whose gradients add about a dozen
 * full-size passes; this is two passes forward and two backward, like PyTorch.
 *
 *   y = γ·(x − μ)/√(σ² + ε) + β,   μ, σ² = the batch mean and biased variance over all axes but the last
 * Gradient (the statistics' dependence on x included; N = elements per channel, x̂ = (x − μ)·s, s = 1/√(σ²+ε)):
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·s/N · (N·dy − dβ − x̂·dγ)
 */
import { tf } from '../../tf.ts';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './name.ts';
import { nativeMovingAverages } from './native.ts';
import { thunk } from '../../tfjs/thunk.ts';

export { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD };

/**
 * The gradient function of a training batch norm kernel whose saved tensors are x, γ, μ, 1/σ and
 * whose gradient is the one kernel `gradKernel` (this one's, and sync batch norm's).
 */
export function batchNormGradFunc(gradKernel: string) {
  return (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): Record<string, () => Tensor> => {
    const [x, scale, mean, invstd] = saved as [Tensor, Tensor, Tensor, Tensor];
    const dyY = (Array.isArray(dy) ? dy[0] : dy) ?? tf.zerosLike(x);
    // One kernel gives all three; computed here so the closures share it (the gradient scope owns them).
    const [dx, dScale, dOffset] = tf
      .engine()
      .runKernel(gradKernel, { dy: dyY, x, scale, mean, invstd }, attrs) as Tensor[];
    return { x: thunk(dx!), scale: thunk(dScale!), offset: thunk(dOffset!) };
  };
}
const gradFunc = batchNormGradFunc(BATCH_NORM_TRAIN_GRAD);

let registered = false;

function registerGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, false, true],
    gradFunc: gradFunc as GradConfig['gradFunc'],
  });
}

/** True when the active backend runs batch norm training as one kernel. */
export function batchNormTrainingAvailable(): boolean {
  return tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) != null;
}

/**
 * Normalises `x` (channels last) with its batch statistics: returns y and the batch mean and
 * biased variance (for the moving averages). Only call when {@link batchNormTrainingAvailable}.
 */
export function batchNormTraining(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  registerGradient();
  const [y, mean, variance, invstd] = tf
    .engine()
    .runKernel(BATCH_NORM_TRAIN, { x, scale: gamma, offset: beta }, { epsilon }) as Tensor[];
  invstd!.dispose();
  return { y: y!, mean: mean!, variance: variance! };
}

/** A layer's weight as tfjs-layers holds it (LayerVariable). */
export interface MovingStatistic {
  read(): Tensor;
  write(t: Tensor): void;
}

/**
 * The moving statistics' update after a training batch, tfjs-layers' rule:
 * moving ← moving − (moving − batch)·(1 − momentum), for the mean and the variance (the caller passes
 * the unbiased one, src/model/layers/batch-norm.ts).
 * On the native engine one addon call updates both in place; elsewhere tfjs ops compute it.
 */
export function updateMovingStatistics(
  movingMean: MovingStatistic,
  movingVariance: MovingStatistic,
  mean: Tensor,
  variance: Tensor,
  momentum: number,
): void {
  const native = nativeMovingAverages(movingMean.read(), movingVariance.read(), mean, variance, momentum);
  if (native) {
    // [] = written in place; else the new values (a buffer was shared).
    if (native.length) {
      movingMean.write(native[0]!);
      movingVariance.write(native[1]!);
      tf.dispose(native);
    }
    return;
  }
  for (const [moving, batch] of [
    [movingMean, mean],
    [movingVariance, variance],
  ] as const) {
    tf.tidy(() => {
      const current = moving.read();
      moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - momentum)));
    });
  }
}
