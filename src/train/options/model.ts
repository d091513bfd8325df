/** The train options' model and input: backbone, initialisation, BatchNormalization, input size and preprocessing. */
import { Type } from '@sinclair/typebox';
import { Choice } from '../../choice.ts';
import { RESIZE_KERNELS } from '../../data/image/resize.ts';
import { MODEL_NAMES } from '../../model/names.ts';
import { Int, Num } from './schema-helpers.ts';

/** Backbone, width, initialisation and BatchNormalization. */
export const modelOptions = {
  model: Choice(MODEL_NAMES, {
    description: `Backbone: ${MODEL_NAMES.join(', ')}. Defaults to resnet18.`,
    default: 'resnet18',
  }),
  width_multiplier: Num('Channel width multiplier of the backbone (e.g. 0.125 for a tiny model). Defaults to 1.', 1, {
    exclusiveMinimum: 0,
  }),
  kernel_init: Choice(['he_normal', 'torch'], {
    description:
      "Kernel initialisation: he_normal (the seed's recipe) or torch (PyTorch's defaults, U(±1/√fan_in) for conv/dense kernels and dense biases; a depthwise conv's fan_in is k·k). Defaults to he_normal.",
    default: 'he_normal',
  }),
  bn_momentum: Num('BatchNormalization momentum (Keras convention; PyTorch 0.1 = 0.9 here). Defaults to 0.9.', 0.9, {
    minimum: 0,
    maximum: 1,
  }),
  bn_epsilon: Num('BatchNormalization epsilon. Defaults to 1e-5.', 1e-5, { exclusiveMinimum: 0 }),
};

/** Input size, channels and preprocessing (whitening or mean/std, resize kernel). */
export const inputOptions = {
  height: Int('Input height in pixels. Defaults to 48.', 48, { minimum: 8 }),
  width: Int('Input width in pixels. Defaults to 144.', 144, { minimum: 8 }),
  channels: Type.Union([Type.Literal(1), Type.Literal(3)], {
    description: 'Input channels (1 grey, 3 colour). Defaults to 3.',
    default: 3,
  }),
  channel_order: Choice(['rgb', 'bgr'], {
    description: 'Channel order fed to the model. Defaults to rgb.',
    default: 'rgb',
  }),
  whiten: Type.Boolean({
    description: 'Per-image standardization (else x/255); off when `mean`/`std` apply. Defaults to true.',
    default: true,
  }),
  mean: Type.Array(Type.Number(), {
    description:
      "Per-channel mean (RGB order, on x/255 pixels) of torchvision's Normalize, used with `std` instead of `whiten` and recorded in config.json's preprocessing (mean_std) for evaluate, predict and convert; [] = none, or ImageNet's [0.485, 0.456, 0.406] when `pretrained` is set. Defaults to [].",
    default: [],
  }),
  std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
    description:
      "Per-channel std (RGB order) of torchvision's Normalize, with `mean`; [] = none, or ImageNet's [0.229, 0.224, 0.225] when `pretrained` is set. Defaults to [].",
    default: [],
  }),
  resize: Choice(RESIZE_KERNELS, {
    description:
      "Resize to height×width, computed in float: bilinear = antialiased when downscaling, half-pixel centres (Pillow Image.BILINEAR, torchvision Resize(antialias=True), tf.image.resize(antialias=True), ONNX Resize-18 linear antialias=1); bilinear_no_antialias (tf.image.resize default, torch interpolate bilinear align_corners=False); nearest (Pillow NEAREST, tf nearest); area (tf.image.resize area, OpenCV INTER_AREA; no ONNX export of it). Recorded in the model's config.json; evaluate, predict and convert follow it. Defaults to bilinear.",
    default: 'bilinear',
  }),
};
