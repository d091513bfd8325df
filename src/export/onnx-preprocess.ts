/**
 * The model's preprocessing (src/data/image/preprocessing.ts) as ONNX nodes in front of the network,
 * so a deployer decodes an image and feeds its 8-bit pixels, nothing else:
 *
 *   pixels uint8 [N, H, W, C] (any H, W) → Cast float → Transpose NCHW → Resize to the model's
 *   height×width → Div 255 → per-image standardization (ReduceMean/Sub/Mul/Sqrt/Max/Div) or
 *   per-channel mean/std (Sub/Div by [1, C, 1, 1] constants, RGB order) →
 *   channel swap (Gather) when BGR → the network's NCHW input.
 *
 * The Resize is the one of ./resize.ts: `bilinear` = mode linear, antialias 1, half_pixel (opset 18),
 * exclude_outside 1 (taps past the border are dropped and the rest renormalised, as Pillow, torchvision
 * and TensorFlow do; ONNX's default, 0, repeats the border pixel into them and differs at the edges when
 * downscaling); `bilinear_no_antialias` = linear, antialias 0, half_pixel; `nearest` = nearest,
 * tf_half_pixel_for_nn, floor (onnxruntime warns that this mode is deprecated; it still implements it). `area` has no ONNX Resize equivalent and is refused. The resize runs in float on the 0…255
 * values like ours; onnxruntime computes its weights in float32, so results agree to ~1e-4 of a grey
 * level, not bit for bit.
 */
import { ConfigError } from '../errors.ts';
import type { Preprocessing } from '../data/image/preprocessing.ts';
import { DataType } from './onnx-proto.ts';
import type { Attr, OnnxGraph } from './onnx-graph.ts';

/** The lowest opset with Resize's `antialias` and `axes` attributes. */
export const PIXELS_MIN_OPSET = 18;

/** The name of the uint8 image input of a model with preprocessing. */
export const PIXELS_INPUT = 'pixels';

function resizeAttrs(p: Preprocessing): Record<string, Attr> {
  const axes: Attr = { ints: [2, 3] };
  switch (p.resize.kernel) {
    case 'bilinear':
      return {
        mode: { string: 'linear' },
        antialias: { int: 1 },
        exclude_outside: { int: 1 },
        coordinate_transformation_mode: { string: 'half_pixel' },
        axes,
      };
    case 'bilinear_no_antialias':
      return {
        mode: { string: 'linear' },
        antialias: { int: 0 },
        exclude_outside: { int: 1 },
        coordinate_transformation_mode: { string: 'half_pixel' },
        axes,
      };
    case 'nearest':
      return {
        mode: { string: 'nearest' },
        coordinate_transformation_mode: { string: 'tf_half_pixel_for_nn' },
        nearest_mode: { string: 'floor' },
        axes,
      };
    default:
      throw new ConfigError(
        `resize kernel ${p.resize.kernel} has no ONNX Resize equivalent, so its preprocessing cannot travel inside model.onnx`,
      );
  }
}

/** Whether `p` can be expressed in ONNX (else the reason). */
export function onnxPreprocessProblem(p: Preprocessing): string | null {
  try {
    resizeAttrs(p);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

/**
 * Adds the preprocessing nodes reading the graph input `input` (uint8 NHWC) and returns the name of
 * the NCHW float32 tensor the network takes.
 */
export function addPixelsPreprocessing(g: OnnxGraph, p: Preprocessing, input: string): string {
  const channels = p.channels === 'L' ? 1 : 3;
  let x = g.op('Cast', [input], { to: { int: DataType.FLOAT } }, 'pixels_float');
  x = g.op('Transpose', [x], { perm: { ints: [0, 3, 1, 2] } }, 'pixels_nchw');
  const sizes = g.int64('resize_sizes', [p.resize.height, p.resize.width]);
  x = g.op('Resize', [x, '', '', sizes], resizeAttrs(p), 'resized');
  x = g.op('Div', [x, g.float('scale_divisor', [], [p.scale.divideBy])], {}, 'scaled');
  if (p.normalize.kind === 'per_image') {
    const axes = g.int64('image_axes', [1, 2, 3]);
    const mean = g.op('ReduceMean', [x, axes], { keepdims: { int: 1 } }, 'image_mean');
    const d = g.op('Sub', [x, mean], {}, 'centred');
    const variance = g.op(
      'ReduceMean',
      [g.op('Mul', [d, d], {}, 'squared'), axes],
      { keepdims: { int: 1 } },
      'image_variance',
    );
    const floor = g.float('min_std', [], [1 / Math.sqrt(p.resize.height * p.resize.width * channels)]);
    const std = g.op('Max', [g.op('Sqrt', [variance], {}, 'image_std'), floor], {}, 'adjusted_std');
    x = g.op('Div', [d, std], {}, 'standardized');
  }
  if (p.normalize.kind === 'mean_std') {
    const c = p.normalize.mean.length;
    x = g.op('Sub', [x, g.float('channel_mean', [1, c, 1, 1], p.normalize.mean)], {}, 'centred_channels');
    x = g.op('Div', [x, g.float('channel_std', [1, c, 1, 1], p.normalize.std)], {}, 'normalized_channels');
  }
  if (p.channels === 'BGR') x = g.op('Gather', [x, g.int64('bgr_order', [2, 1, 0])], { axis: { int: 1 } }, 'bgr');
  return x;
}
