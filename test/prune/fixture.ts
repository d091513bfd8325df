/**
 * A tiny functional conv net with every structure pruning must tell apart: a stem whose channels meet
 * a residual Add (must stay), a conv→BN→ReLU6→conv group, an inverted-residual chain through a
 * depthwise conv, and a last group that reaches two Dense heads through MaxPool and GAP.
 * BN statistics are random so the checks are not trivially satisfied by identity BNs.
 */
import { tf } from '../../src/engine/tf.ts';

type ST = tf.SymbolicTensor;

export function buildFixture(seed = 1): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const conv = (x: ST, filters: number, k: number, name: string) =>
    tf.layers
      .conv2d({ filters, kernelSize: k, padding: 'same', useBias: false, kernelInitializer: init(), name })
      .apply(x) as ST;
  const bn = (x: ST, name: string) => tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, name }).apply(x) as ST;
  const relu = (x: ST, name: string) => tf.layers.reLU({ name }).apply(x) as ST;

  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const r1 = relu(bn(conv(input, 8, 3, 'c1'), 'bn1'), 'r1');
  const b2 = tf.layers.reLU({ maxValue: 6, name: 'r2' }).apply(bn(conv(r1, 12, 3, 'c2'), 'bn2')) as ST;
  const b3 = bn(conv(b2, 8, 3, 'c3'), 'bn3');
  const r3 = relu(tf.layers.add({ name: 'add' }).apply([b3, r1]) as ST, 'r3');
  const e = relu(bn(conv(r3, 16, 1, 'c4'), 'bn4'), 'r4');
  const d = tf.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(), name: 'dw' })
    .apply(e) as ST;
  const r5 = relu(bn(d, 'bn5'), 'r5');
  const r6 = relu(bn(conv(r5, 8, 1, 'c5'), 'bn6'), 'r6');
  const r7 = relu(bn(conv(r6, 10, 3, 'c6'), 'bn7'), 'r7');
  const pooled = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool' }).apply(r7) as ST;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(pooled) as ST;
  const h1 = tf.layers.dense({ units: 3, kernelInitializer: init(), name: 'digit' }).apply(gap) as ST;
  const h2 = tf.layers.dense({ units: 1, kernelInitializer: init(), name: 'dress' }).apply(gap) as ST;
  const model = tf.model({ inputs: input, outputs: [h1, h2], name: 'fixture' });
  randomizeBatchNorm(model, seed);
  return model;
}

/** Random gamma/beta/mean/variance in every BN layer (variance > 0), deterministic for a seed. */
export function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  let s = seed * 1000;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const n = layer.getWeights()[0]!.shape[0]!;
    const w = [
      tf.randomUniform([n], 0.5, 1.5, 'float32', s++),
      tf.randomUniform([n], -0.3, 0.3, 'float32', s++),
      tf.randomUniform([n], -0.2, 0.2, 'float32', s++),
      tf.randomUniform([n], 0.5, 2, 'float32', s++),
    ];
    layer.setWeights(w);
    tf.dispose(w);
  }
}

/** Sets some channels of a BN layer: gamma, beta and (optionally) the moving mean. */
export function setBnChannels(
  model: tf.LayersModel,
  bn: string,
  channels: number[],
  values: { gamma?: number; beta?: number; mean?: number },
): void {
  const layer = model.getLayer(bn);
  const arrays = layer.getWeights().map((w) => w.arraySync() as number[]);
  for (const c of channels) {
    if (values.gamma !== undefined) arrays[0]![c] = values.gamma;
    if (values.beta !== undefined) arrays[1]![c] = values.beta;
    if (values.mean !== undefined) arrays[2]![c] = values.mean;
  }
  const t = arrays.map((a) => tf.tensor1d(a));
  layer.setWeights(t);
  tf.dispose(t);
}

/** Deterministic random NHWC batch. */
export function randomImages(n: number, h = 8, w = 8, c = 3, seed = 7): tf.Tensor4D {
  return tf.randomNormal([n, h, w, c], 0, 1, 'float32', seed) as tf.Tensor4D;
}
