/**
 * Reference ResNet-18 for the engine benchmark only (the product's model zoo is src/model): the
 * seed layout of shared/reference/torch_reference.py — 3×3 stride-2 stem conv without bias + BN,
 * 3×3/2 max pool, ReLU, 4 stages × 2 basic blocks (64/128/256/512; the first block of every stage
 * has a 1×1 conv + BN projection), global average pool, one Dense per head (logits).
 */
import { tf } from '../../src/engine/tf.ts';
import { BatchNormalization } from '../../src/model/layers/batch-norm.ts';
import { CrossEntropy } from '../../src/train/losses/crossentropy.ts';
import { multiHeadLoss } from '../../src/train/losses/multihead.ts';
import type { HeadInfo } from '../../src/train/losses/base.ts';

const loss = new CrossEntropy();

type Sym = tf.SymbolicTensor;

export interface ResNet18Options {
  /** Input height and width. */
  height: number;
  width: number;
  /** Units of each head. Defaults to 20 binary heads (the torch reference's default). */
  heads?: number[];
  /** Initializer seed. Defaults to 0. */
  seed?: number;
}

/** Builds the seed ResNet-18; its outputs are one logits tensor per head. */
export function resnet18(options: ResNet18Options): tf.LayersModel {
  let seed = options.seed ?? 0;
  const heads = options.heads ?? Array.from({ length: 20 }, () => 1);
  const convBn = (x: Sym, filters: number, k: number, s: number): Sym => {
    const c = tf.layers
      .conv2d({
        filters,
        kernelSize: k,
        strides: s,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
      })
      .apply(x) as Sym;
    return new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(c) as Sym;
  };
  const relu = (x: Sym): Sym => tf.layers.reLU().apply(x) as Sym;
  const block = (x: Sym, filters: number, stride: number, project: boolean): Sym => {
    const a = relu(convBn(x, filters, 3, stride));
    const b = convBn(a, filters, 3, 1);
    const short = project ? convBn(x, filters, 1, stride) : x;
    return relu(tf.layers.add().apply([short, b]) as Sym);
  };
  const input = tf.input({ shape: [options.height, options.width, 3] });
  let x = convBn(input, 64, 3, 2);
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as Sym;
  x = relu(x);
  for (const [filters, stride] of [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ]) {
    x = block(x, filters, stride, true);
    x = block(x, filters, 1, false);
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  const outputs = heads.map(
    (units) =>
      tf.layers
        .dense({ units, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) })
        .apply(pooled) as Sym,
  );
  return tf.model({ inputs: input, outputs });
}

/** Label columns [N] int32, one per head, of float or integer labels [N, heads] (−1 = unknown); the caller disposes them. */
export function labelColumns(labels: tf.Tensor2D): tf.Tensor1D[] {
  return tf.tidy(() =>
    tf.split(tf.cast(labels, 'int32'), labels.shape[1], 1).map((c) => c.reshape([-1]) as tf.Tensor1D),
  );
}

/**
 * The product's training objective (src/train/step.ts): Σ over heads of the masked cross-entropy
 * (sigmoid for 1 unit, softmax otherwise), labels −1 masked out. `labels`: int32 columns from
 * {@link labelColumns}, made once outside the timed step (a [N, heads] tensor is split per call).
 */
export function headsLoss(outputs: tf.Tensor[], labels: tf.Tensor1D[] | tf.Tensor2D, heads: number[]): tf.Scalar {
  return tf.tidy(() => {
    const columns = Array.isArray(labels) ? labels : labelColumns(labels);
    const infos: HeadInfo[] = heads.map((units, index) => ({
      kind: units === 1 ? 'sigmoid' : 'softmax',
      units,
      index,
    }));
    return multiHeadLoss(loss, outputs as tf.Tensor2D[], columns, infos).total;
  });
}
