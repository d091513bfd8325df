/**
 * Reference ResNet-18 for the engine benchmark only (the product's model zoo is src/model): the
 * seed layout of shared/reference/torch_reference.py — 3×3 stride-2 stem conv without bias + BN,
 * 3×3/2 max pool, ReLU, 4 stages × 2 basic blocks (64/128/256/512; the first block of every stage
 * has a 1×1 conv + BN projection), global average pool, one Dense per head (logits).
 */
import { tf } from '../../src/engine/tf.ts';
import { BatchNormalization } from '../../src/model/layers/batch-norm.ts';

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
    const c = tf.layers.conv2d({
      filters, kernelSize: k, strides: s, padding: 'same', useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
    }).apply(x) as Sym;
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
  for (const [filters, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    x = block(x, filters, stride, true);
    x = block(x, filters, 1, false);
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  const outputs = heads.map((units) =>
    tf.layers.dense({ units, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) }).apply(pooled) as Sym);
  return tf.model({ inputs: input, outputs });
}

/** Sum over heads of sigmoid (1 unit) or softmax cross-entropy against `labels` [N, heads]. */
export function headsLoss(outputs: tf.Tensor[], labels: tf.Tensor2D, heads: number[]): tf.Scalar {
  return tf.tidy(() => {
    const columns = tf.split(labels, heads.length, 1);
    const terms = outputs.map((logits, i) =>
      heads[i] === 1
        ? tf.losses.sigmoidCrossEntropy(columns[i], logits)
        : tf.losses.softmaxCrossEntropy(tf.oneHot(columns[i].reshape([-1]).toInt(), heads[i]), logits));
    return tf.addN(terms) as tf.Scalar;
  });
}
