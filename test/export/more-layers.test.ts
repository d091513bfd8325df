/**
 * The less common converters: dilated conv with an activation, Dense on a rank-4 tensor (MatMul),
 * Flatten of NCHW data (back to NHWC order), Multiply, Activation layers, LeakyReLU, GlobalMaxPool,
 * BN on a rank-2 tensor (not foldable), Concatenate on rank 2, Dropout, and head names that clash
 * with the input name and with each other after sanitising.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initEngine, tf } from '../../src/engine/index.ts';
import { toOnnx } from '../../src/export/index.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';

type ST = tf.SymbolicTensor;

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

function build(): tf.LayersModel {
  let s = 20;
  const k = () => tf.initializers.glorotNormal({ seed: s++ });
  const input = tf.input({ shape: [7, 6, 2], name: 'image' });
  const c = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      dilationRate: 2,
      padding: 'same',
      activation: 'tanh',
      kernelInitializer: k(),
      biasInitializer: 'randomNormal',
      name: 'dil',
    })
    .apply(input) as ST;
  const d4 = tf.layers
    .dense({ units: 3, activation: 'elu', kernelInitializer: k(), biasInitializer: 'randomNormal', name: 'dense4d' })
    .apply(c) as ST;
  const sw = tf.layers.activation({ activation: 'swish', name: 'swish' }).apply(d4) as ST;
  const gate = tf.layers
    .activation({ activation: 'sigmoid', name: 'gate' })
    .apply(
      tf.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: k(), name: 'gate_conv' }).apply(c) as ST,
    ) as ST;
  const mul = tf.layers.multiply({ name: 'mul' }).apply([sw, gate]) as ST;
  const lrelu = tf.layers.leakyReLU({ alpha: 0.2, name: 'lrelu' }).apply(mul) as ST;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(lrelu) as ST;
  const gmp = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(c) as ST;
  const cat = tf.layers.concatenate({ name: 'cat2d' }).apply([flat, gmp]) as ST;
  const drop = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(cat) as ST;
  const fc = tf.layers
    .dense({ units: 5, activation: 'softplus', kernelInitializer: k(), name: 'fc' })
    .apply(drop) as ST;
  const bn = tf.layers.batchNormalization({ name: 'bn2d' }).apply(fc) as ST;
  const selu = tf.layers.activation({ activation: 'selu', name: 'selu' }).apply(bn) as ST;
  const h0 = tf.layers.dense({ units: 2, kernelInitializer: k(), name: 'h0' }).apply(selu) as ST;
  const h1 = tf.layers.dense({ units: 1, kernelInitializer: k(), name: 'h1' }).apply(selu) as ST;
  const h2 = tf.layers.dense({ units: 3, kernelInitializer: k(), name: 'h2' }).apply(selu) as ST;
  const model = tf.model({ inputs: input, outputs: [h0, h1, h2] });
  randomizeBatchNorm(model, 9);
  return model;
}

describe('toOnnx, less common layers', () => {
  it('matches tfjs within 1e-4 and keeps output names unique', async () => {
    const model = build();
    const heads = [
      { name: 'image', classes: ['a', 'b'] },
      { name: 'x y', classes: ['y'] },
      { name: 'x_y', classes: ['p', 'q', 'r'] },
    ];
    const x = tf.randomNormal([3, 7, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    try {
      const exp = toOnnx(model, { heads });
      expect(exp.input.name).toBe('image');
      expect(exp.outputs).toEqual(['image_1', 'x_y', 'x_y_1']);
      for (const op of [
        'MatMul',
        'Flatten',
        'Mul',
        'Tanh',
        'Elu',
        'Sigmoid',
        'LeakyRelu',
        'GlobalMaxPool',
        'Softplus',
        'Selu',
        'BatchNormalization',
      ]) {
        expect(exp.ops[op], op).toBeGreaterThan(0);
      }
      const session = await ort.InferenceSession.create(exp.bytes);
      const res = await session.run({ image: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
      await session.release();
      const ref = tf.tidy(() =>
        (model.predict(x) as tf.Tensor[]).map(
          (t, i) => (i === 1 ? tf.sigmoid(t) : tf.softmax(t)).dataSync() as Float32Array,
        ),
      );
      exp.outputs.forEach((name, i) => {
        const got = res[name]!.data as Float32Array;
        expect(got.length).toBe(ref[i]!.length);
        got.forEach((v, j) => expect(Math.abs(v - ref[i]![j]!), `${name}[${j}]`).toBeLessThan(1e-4));
      });
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});
