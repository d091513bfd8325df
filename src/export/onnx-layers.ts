/**
 * One converter per tfjs-layers class; the converters live in ./onnx-layers/ by layer family. Inside the
 * ONNX graph every rank-4 tensor is NCHW, rank-2 tensors are [N, features] as in tfjs (see ./onnx-layers/context.ts).
 */
import { activationLayer, leakyRelu, relu } from './onnx-layers/activations.ts';
import type { LayerConverter } from './onnx-layers/context.ts';
import { conv2d, depthwiseConv2d, mixedConv2d } from './onnx-layers/conv.ts';
import { binary, concatenate, flatten, identity } from './onnx-layers/merge-reshape.ts';
import { batchNormalization, dense } from './onnx-layers/norm-dense.ts';
import { globalPool, pool, zeroPadding2d } from './onnx-layers/spatial.ts';

export { activation } from './onnx-layers/activations.ts';
export { onnxAxis, type LayerContext, type LayerConverter, type Value } from './onnx-layers/context.ts';
export { batchNormToAffine } from './onnx-layers/norm-dense.ts';

/** Every tfjs layer class the exporter handles. */
export const CONVERTERS: ReadonlyMap<string, LayerConverter> = new Map<string, LayerConverter>([
  ['Conv2D', conv2d],
  ['DepthwiseConv2D', depthwiseConv2d],
  ['MixedConv2D', mixedConv2d],
  ['BatchNormalization', batchNormalization],
  ['Dense', dense],
  ['ReLU', relu],
  ['LeakyReLU', leakyRelu],
  ['Activation', activationLayer],
  ['MaxPooling2D', pool('MaxPool')],
  ['AveragePooling2D', pool('AveragePool')],
  ['GlobalAveragePooling2D', globalPool('GlobalAveragePool')],
  ['GlobalMaxPooling2D', globalPool('GlobalMaxPool')],
  ['ZeroPadding2D', zeroPadding2d],
  ['Add', binary('Add')],
  ['Multiply', binary('Mul')],
  ['Subtract', binary('Sub')],
  ['Maximum', binary('Max')],
  ['Minimum', binary('Min')],
  ['Concatenate', concatenate],
  ['Flatten', flatten],
  ['Dropout', identity],
  ['SpatialDropout2D', identity],
  ['GaussianNoise', identity],
  ['GaussianDropout', identity],
]);

/** Layer classes a BatchNormalization right after them can be folded into. */
export const FOLDABLE = new Set(['Conv2D', 'DepthwiseConv2D', 'MixedConv2D']);
