/**
 * tfjs-layers' BatchNormalization, trained with one fused kernel where the backend has it
 * (src/engine/ops/batch-norm-training/batch-norm-training.ts: the native engine), and exactly the stock layer elsewhere.
 * It keeps the class name `BatchNormalization`, so saved models are plain Keras/tfjs models and
 * load anywhere; registered in place of the stock class, models loaded here get the fast path too.
 * Moving statistics: moving ← moving − (moving − batch)·(1 − momentum), with the UNBIASED batch
 * variance (× n/(n−1), n = values per channel) as PyTorch's BatchNorm2d and TF's FusedBatchNorm
 * (tf.keras's default for 4-D inputs) use; the batch itself is normalised with the biased variance.
 * Porting note: the stock tfjs layer feeds the biased variance to the moving average, so its
 * inference-time variance was n/(n−1) too small (6.7 % at 16 values per channel, #29).
 * A layer with `trainable` false (train's freeze_epochs) runs in inference mode even in training.
 * Data-parallel `sync_bn`: while the training loop has set a batch norm synchroniser
 * (src/engine/distributed/batch-norm-sync.ts), training mode normalises with the statistics of
 * every rank's rows (src/engine/ops/sync-batch-norm/), and the moving statistics follow them.
 */
import { tf } from '../../engine/tf.ts';
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  batchNormTraining,
  batchNormTrainingAvailable,
  updateMovingStatistics,
} from '../../engine/ops/batch-norm-training/batch-norm-training.ts';
import { syncBatchNormTraining } from '../../engine/ops/sync-batch-norm/sync-batch-norm.ts';
import { batchNormSync, type BatchNormSync } from '../../engine/distributed/batch-norm-sync.ts';

type Kwargs = Record<string, unknown>;
type LayerVariable = { read(): Tensor; write(t: Tensor): void };
interface StockBatchNorm extends tf.layers.Layer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[];
}
type StockClass = new (args: object) => StockBatchNorm;

const Stock = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as StockClass;

export class BatchNormalization extends Stock {
  static className = 'BatchNormalization';

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    // Keras ≥ 2.1.3: a frozen BN (trainable false, e.g. train's freeze_epochs) normalises with its
    // moving statistics and leaves them alone, in training too.
    if (!this.trainable && kwargs.training === true) kwargs = { ...kwargs, training: false };
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
    const lastAxis = axis === x.rank - 1 && (x.rank === 4 || x.rank === 2);
    const sync = kwargs.training === true ? batchNormSync() : undefined;
    if (sync) return this.syncedCall(x, lastAxis, sync);
    const channelsLast = kwargs.training === true && this.center && this.scale && lastAxis;
    if (!channelsLast) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTrainingAvailable()
        ? batchNormTraining(x, this.gamma.read(), this.beta.read(), this.epsilon)
        : composedTraining(x, this.gamma.read(), this.beta.read(), this.epsilon);
      const n = x.size / x.shape[x.rank - 1]!;
      updateMovingStatistics(
        this.movingMean,
        this.movingVariance,
        mean,
        n > 1 ? tf.mul(variance, n / (n - 1)) : variance,
        this.momentum,
      );
      return y;
    });
  }

  /** Training mode under `sync_bn`: all ranks' batch statistics (a layer without γ or β uses 1 and 0). */
  private syncedCall(x: Tensor, lastAxis: boolean, sync: BatchNormSync): Tensor {
    if (!lastAxis)
      throw new Error(
        `sync_bn: layer ${this.name} normalises axis ${this.axis} of a rank-${x.rank} input; synchronised batch norm takes the last axis of rank-2 or rank-4 (channels-last) inputs`,
      );
    return tf.tidy(() => {
      const channels = x.shape[x.rank - 1]!;
      const gamma = this.scale ? this.gamma.read() : tf.ones([channels]);
      const beta = this.center ? this.beta.read() : tf.zeros([channels]);
      const { y, mean, unbiasedVariance } = syncBatchNormTraining(x, gamma, beta, this.epsilon, sync);
      updateMovingStatistics(this.movingMean, this.movingVariance, mean, unbiasedVariance, this.momentum);
      return y;
    });
  }
}

/** Training-mode batch norm from tfjs ops (backends without the fused kernel): y and the batch mean and biased variance. */
function composedTraining(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
}

tf.serialization.registerClass(
  BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);
