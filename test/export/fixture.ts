/**
 * A small functional net that uses every layer the ONNX exporter maps: strided 'same' convs on an odd
 * input size (asymmetric padding), conv with bias + activation, ZeroPadding2D, depthwise conv,
 * the zoo's MixedConv2D (Split → grouped/depthwise Conv → Concat), folded and unfolded BN
 * (a BN after an Add cannot fold), ReLU, ReLU6 (Clip), Add, Concatenate, Max/AveragePool, GAP and
 * one softmax and one sigmoid Dense head. BN statistics are random.
 */
import { tf } from '../../src/engine/tf.ts';
import { MixedConv2D } from '../../src/model/layers/register.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';
import type { HeadSpec } from '../../src/data/heads.ts';

type ST = tf.SymbolicTensor;

export const EXPORT_HEADS: HeadSpec[] = [
  { name: 'digit', classes: ['0', '1', '2', '3'] },
  { name: 'dress', classes: ['dress'] },
];

export function buildExportFixture(seed = 3): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const bn = (x: ST, name: string) => tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, name }).apply(x) as ST;
  const input = tf.input({ shape: [9, 11, 3], name: 'image' });
  // Strided 'same' conv on 9×11: TF pads the odd pixel at the end.
  let x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(),
      name: 'stem',
    })
    .apply(input) as ST;
  x = tf.layers.reLU({ name: 'stem_relu' }).apply(bn(x, 'stem_bn')) as ST;
  const pad = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'pad',
    })
    .apply(x) as ST;
  let a = tf.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'valid', useBias: false, depthwiseInitializer: init(), name: 'dw' })
    .apply(pad) as ST;
  a = tf.layers.reLU({ maxValue: 6, name: 'dw_relu6' }).apply(bn(a, 'dw_bn')) as ST;
  let m = new MixedConv2D({
    parts: [
      { channels: 4, kernel: 3, groups: 2 },
      { channels: 2, kernel: 5, groups: 2 },
      { channels: 2, kernel: 3, groups: 1 },
    ],
    seed: 50,
    name: 'mix',
  }).apply(a) as ST;
  m = bn(m, 'mix_bn');
  const sum = tf.layers.add({ name: 'add' }).apply([m, x]) as ST;
  const sumBn = tf.layers.reLU({ name: 'add_relu' }).apply(bn(sum, 'add_bn')) as ST; // BN after Add: not folded
  const b = tf.layers
    .conv2d({
      filters: 6,
      kernelSize: 1,
      useBias: true,
      activation: 'relu',
      kernelInitializer: init(),
      biasInitializer: 'randomNormal',
      name: 'pw',
    })
    .apply(sumBn) as ST;
  const cat = tf.layers.concatenate({ axis: -1, name: 'cat' }).apply([sumBn, b]) as ST;
  const mp = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'maxpool' }).apply(cat) as ST;
  const ap = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avgpool' }).apply(mp) as ST;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(ap) as ST;
  const h1 = tf.layers.dense({ units: 4, kernelInitializer: init(), name: 'head0_digit' }).apply(gap) as ST;
  const h2 = tf.layers.dense({ units: 1, kernelInitializer: init(), name: 'head1_dress' }).apply(gap) as ST;
  const model = tf.model({ inputs: input, outputs: [h1, h2], name: 'export_fixture' });
  randomizeBatchNorm(model, seed);
  return model;
}
