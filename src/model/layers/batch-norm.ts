/**
 * tfjs-layers' BatchNormalization, trained with one fused kernel where the backend has it
 * (src/engine/batch-norm-training.ts: the native engine), and exactly the stock layer elsewhere.
 * It keeps the class name `BatchNormalization`, so saved models are plain Keras/tfjs models and
 * load anywhere; registered in place of the stock class, models loaded here get the fast path too.
 * Moving statistics follow tfjs: moving ← moving − (moving − batch)·(1 − momentum), with the
 * biased batch variance.
 */
import { tf } from '../../engine/tf.ts';
import type { Tensor } from '@tensorflow/tfjs-core';
import { batchNormTraining, batchNormTrainingAvailable, updateMovingStatistics } from '../../engine/batch-norm-training.ts';

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
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
    const fused = kwargs.training === true && this.center && this.scale && axis === x.rank - 1 && (x.rank === 4 || x.rank === 2) &&
      batchNormTrainingAvailable();
    if (!fused) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, this.gamma.read(), this.beta.read(), this.epsilon);
      updateMovingStatistics(this.movingMean, this.movingVariance, mean, variance, this.momentum);
      return y;
    });
  }
}

tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
