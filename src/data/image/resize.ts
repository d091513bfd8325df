/**
 * The one image resize of mlc-pipe: separable, computed in float (weights and sums in double, results
 * stored as float32), horizontal pass then vertical pass, each with a per-axis weight table computed
 * once per (input size, output size). Used by every reader of images (loader, train, evaluate, predict,
 * convert's checks) through ./decode.ts; the ONNX export reproduces it with a `Resize` node
 * (src/export/onnx-preprocess.ts).
 *
 * For output index i of an axis of `inSize` → `outSize` pixels, with scale s = inSize / outSize and
 * pixel centres at half-integers (half-pixel coordinates), the source centre is c = (i + 0.5)·s:
 *
 * - `bilinear` (default): triangle filter f(x) = max(0, 1 − |x|), antialiased when downscaling:
 *   its support is scaled by the reduction, σ = max(s, 1). Source pixels j with
 *   trunc(c − σ + 0.5) ≤ j < trunc(c + σ + 0.5) (clipped to the image) weigh f((j + 0.5 − c) / σ),
 *   normalised to sum 1. This is Pillow's `Image.BILINEAR` (ImagingResample, ported here from its
 *   formula), torchvision `Resize(antialias=True)`, `tf.image.resize(method='bilinear',
 *   antialias=True)` and ONNX `Resize` (opset ≥ 18, mode=linear, antialias=1, exclude_outside=1,
 *   coordinate_transformation_mode=half_pixel; exclude_outside=0, ONNX's default, repeats the border
 *   pixel into the taps past the edge instead of dropping them). When upscaling (s ≤ 1) it is plain half-pixel bilinear
 *   with edge clamping.
 * - `bilinear_no_antialias`: the same with σ = 1 always (two taps, aliasing when downscaling):
 *   `tf.image.resize(method='bilinear')` (antialias=False, TF 2's default), torch
 *   `F.interpolate(mode='bilinear', align_corners=False, antialias=False)`, torchvision
 *   `Resize(antialias=False)`, OpenCV `INTER_LINEAR`, ONNX `Resize` (mode=linear, antialias=0,
 *   half_pixel). Pillow has no equivalent.
 * - `nearest`: source j = min(floor((i + 0.5)·s), inSize − 1): Pillow `Image.NEAREST`,
 *   `tf.image.resize(method='nearest')`, torch `F.interpolate(mode='nearest-exact')`, ONNX `Resize`
 *   (mode=nearest, coordinate_transformation_mode=tf_half_pixel_for_nn, nearest_mode=floor).
 * - `area`: each output pixel is the mean of the source area [i·s, (i+1)·s) it covers, partly covered
 *   pixels weighted by the covered fraction: `tf.image.resize(method='area')`, OpenCV `INTER_AREA`
 *   when downscaling; Pillow `Image.BOX` and torch `adaptive_avg_pool2d` only when s is an integer.
 *   ONNX `Resize` has no equivalent (an export with `onnx_preprocess` refuses it).
 */

/** The resize kernels, in the order the docs list them. */
export const RESIZE_KERNELS = ['bilinear', 'bilinear_no_antialias', 'nearest', 'area'] as const;
export type ResizeKernel = (typeof RESIZE_KERNELS)[number];

/** The default kernel (antialiased bilinear, half-pixel centres). */
export const DEFAULT_RESIZE: ResizeKernel = 'bilinear';

/** Where each kernel's arithmetic is matched in other libraries (recorded in config.json and the model card). */
export const RESIZE_EQUIVALENTS: Record<
  ResizeKernel,
  Record<'pillow' | 'torchvision' | 'tensorflow' | 'onnx', string | null>
> = {
  bilinear: {
    pillow: 'Image.resize((W, H), Image.BILINEAR)',
    torchvision: 'transforms.Resize((H, W), interpolation=InterpolationMode.BILINEAR, antialias=True)',
    tensorflow: "tf.image.resize(x, (H, W), method='bilinear', antialias=True)",
    onnx: 'Resize (opset >= 18) mode=linear antialias=1 exclude_outside=1 coordinate_transformation_mode=half_pixel',
  },
  bilinear_no_antialias: {
    pillow: null,
    torchvision: 'transforms.Resize((H, W), interpolation=InterpolationMode.BILINEAR, antialias=False)',
    tensorflow: "tf.image.resize(x, (H, W), method='bilinear', antialias=False)",
    onnx: 'Resize mode=linear antialias=0 coordinate_transformation_mode=half_pixel',
  },
  nearest: {
    pillow: 'Image.resize((W, H), Image.NEAREST)',
    torchvision: "torch.nn.functional.interpolate(x, (H, W), mode='nearest-exact')",
    tensorflow: "tf.image.resize(x, (H, W), method='nearest')",
    onnx: 'Resize mode=nearest coordinate_transformation_mode=tf_half_pixel_for_nn nearest_mode=floor',
  },
  area: {
    pillow: 'Image.resize((W, H), Image.BOX) only for integer reduction factors',
    torchvision: 'torch.nn.functional.adaptive_avg_pool2d only for integer reduction factors',
    tensorflow: "tf.image.resize(x, (H, W), method='area')",
    onnx: null,
  },
};

/** One axis' weight table: output i reads `count[i]` source pixels from `start[i]`, weights at `weights[i·taps …]`. */
export interface AxisWeights {
  taps: number;
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
}

const triangle = (x: number) => (x < 0 ? (x > -1 ? 1 + x : 0) : x < 1 ? 1 - x : 0);

/** The weight table of one axis for `kernel` (cached by the caller per size pair). */
export function axisWeights(inSize: number, outSize: number, kernel: ResizeKernel): AxisWeights {
  if (!(inSize >= 1 && outSize >= 1)) throw new Error(`resize: sizes must be ≥ 1, received ${inSize} → ${outSize}`);
  const scale = inSize / outSize;
  if (kernel === 'nearest') {
    const start = new Int32Array(outSize);
    for (let i = 0; i < outSize; i++) start[i] = Math.min(Math.floor((i + 0.5) * scale), inSize - 1);
    return { taps: 1, start, count: new Int32Array(outSize).fill(1), weights: new Float64Array(outSize).fill(1) };
  }
  if (kernel === 'area') {
    const taps = Math.ceil(scale) + 1;
    const start = new Int32Array(outSize);
    const count = new Int32Array(outSize);
    const weights = new Float64Array(outSize * taps);
    for (let i = 0; i < outSize; i++) {
      const lo = i * scale;
      const hi = Math.min((i + 1) * scale, inSize);
      const j0 = Math.floor(lo);
      const j1 = Math.min(Math.ceil(hi), inSize);
      start[i] = j0;
      count[i] = j1 - j0;
      for (let j = j0; j < j1; j++) weights[i * taps + j - j0] = (Math.min(j + 1, hi) - Math.max(j, lo)) / (hi - lo);
    }
    return { taps, start, count, weights };
  }
  const filterScale = kernel === 'bilinear' ? Math.max(scale, 1) : 1;
  const support = filterScale; // the triangle's support (1) times the filter scale
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  const ss = 1 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = triangle((j - centre + 0.5) * ss);
      weights[i * taps + j - lo] = w;
      total += w;
    }
    if (total !== 0) for (let j = lo; j < hi; j++) weights[i * taps + j - lo]! /= total;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { taps, start, count, weights };
}

const tableCache = new Map<string, AxisWeights>();

function cachedWeights(inSize: number, outSize: number, kernel: ResizeKernel): AxisWeights {
  const key = `${kernel}:${inSize}:${outSize}`;
  let w = tableCache.get(key);
  if (!w) {
    if (tableCache.size > 256) tableCache.clear();
    w = axisWeights(inSize, outSize, kernel);
    tableCache.set(key, w);
  }
  return w;
}

/**
 * Resizes an H×W×C (row-major, channels last) float image to outH×outW with `kernel`; returns a new
 * array (the input itself when the size does not change). Horizontal pass first, then vertical, as
 * Pillow; an axis whose size does not change is not resampled.
 */
export function resizeImage(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  outH: number,
  outW: number,
  kernel: ResizeKernel = DEFAULT_RESIZE,
): Float32Array {
  if (src.length !== height * width * channels)
    throw new Error(`resize: ${src.length} values for ${height}×${width}×${channels}`);
  let img = src;
  if (outW !== width) {
    const t = cachedWeights(width, outW, kernel);
    const out = new Float32Array(height * outW * channels);
    for (let y = 0; y < height; y++) {
      const row = y * width * channels;
      for (let x = 0; x < outW; x++) {
        const s = t.start[x]!;
        const n = t.count[x]!;
        const wo = x * t.taps;
        const o = (y * outW + x) * channels;
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += img[row + (s + k) * channels + c]! * t.weights[wo + k]!;
          out[o + c] = acc;
        }
      }
    }
    img = out;
  }
  if (outH !== height) {
    const t = cachedWeights(height, outH, kernel);
    const rowLen = outW * channels;
    const out = new Float32Array(outH * rowLen);
    const acc = new Float64Array(rowLen);
    for (let y = 0; y < outH; y++) {
      const s = t.start[y]!;
      const n = t.count[y]!;
      const wo = y * t.taps;
      acc.fill(0);
      for (let k = 0; k < n; k++) {
        const w = t.weights[wo + k]!;
        const r = (s + k) * rowLen;
        for (let q = 0; q < rowLen; q++) acc[q]! += img[r + q]! * w;
      }
      out.set(acc, y * rowLen);
    }
    img = out;
  }
  return img;
}
