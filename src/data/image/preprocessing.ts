/**
 * The one preprocessing schema of a model (conventions.md, "Preprocessing is one schema"): every step
 * from image file to the float tensor the network takes, recorded once in the model folder's
 * config.json under `preprocessing` and read by train, evaluate, predict and convert (the ONNX
 * `pixels` graph, metadata.json and the model card). The loader (./pipeline.ts) applies exactly
 * these steps, in this order:
 *
 *   1. decode: sharp/libvips (bmp-ts for BMP), EXIF orientation applied, alpha dropped, converted to
 *      8-bit sRGB (CMYK, 16-bit and palette inputs included) or one grey channel;
 *   2. resize: to height×width (aspect not kept) with `resize.kernel` (./resize.ts), computed in float
 *      on the 0…255 values, not rounded;
 *   3. scale: x / `scale.divideBy` (255);
 *   4. normalize: `per_image` = (x − mean) / max(std, 1/√(H·W·C)) over all values of the image
 *      (population std, tf.image.per_image_standardization), `mean_std` = (x − mean[c]) / std[c] per
 *      channel in RGB order (torchvision's Normalize; pretrained backbones, ImageNet's by default), or
 *      `none`;
 *   5. channels: RGB, or BGR (channels 0 and 2 swapped after normalising), or L (grey);
 *   6. layout: NHWC float32, batch first.
 *
 * Readers refuse normalize kinds they do not know.
 *
 * Model folders written before this record (config.json with `input` only) read as: the resize
 * `bilinear` (the new default; they were trained with sharp's lanczos3, which only matters for
 * images not already at the model's size), scale 255, `per_image` when `input.whiten` else `none`,
 * the channel order of `input.channelOrder`.
 */
import { DEFAULT_RESIZE, RESIZE_EQUIVALENTS, RESIZE_KERNELS, type ResizeKernel } from './resize.ts';

export const NORMALIZE_KINDS = ['per_image', 'mean_std', 'none'] as const;
export type NormalizeKind = (typeof NORMALIZE_KINDS)[number];

export const PER_IMAGE_FORMULA =
  '(x - mean) / max(std, 1 / sqrt(H * W * C)); mean and population std over all H*W*C values of the image (tf.image.per_image_standardization)';

export const MEAN_STD_FORMULA =
  '(x - mean[c]) / std[c] per channel c, mean and std in RGB order, before any BGR swap (torchvision.transforms.Normalize)';

/** Per-channel statistics of `mean_std` normalisation (one entry per channel, RGB order). */
export interface MeanStd {
  mean: number[];
  std: number[];
}

export type Normalize =
  { kind: 'per_image'; formula: string } | ({ kind: 'mean_std'; formula: string } & MeanStd) | { kind: 'none' };

export interface Preprocessing {
  /** Schema version of this record. */
  version: 1;
  decode: {
    decoder: string;
    exifOrientation: true;
    /** Colour conversion: 8-bit sRGB (alpha dropped) or one grey channel. */
    colour: 'sRGB' | 'grey';
    depth: 8;
  };
  resize: {
    kernel: ResizeKernel;
    /** Whether the filter widens with the reduction when downscaling (bilinear only). */
    antialias: boolean;
    coordinates: 'half_pixel';
    height: number;
    width: number;
    /** How the arithmetic runs: float on the 0…255 values, horizontal pass then vertical, not rounded. */
    arithmetic: string;
    /** The same resize in other libraries (null: none). */
    equivalents: Record<string, string | null>;
  };
  scale: { divideBy: 255 };
  normalize: Normalize;
  channels: 'RGB' | 'BGR' | 'L';
  layout: 'NHWC';
  dtype: 'float32';
}

/** The settings a training run chooses; everything else in the record follows from them. */
export interface PreprocessingChoice {
  height: number;
  width: number;
  channels: 1 | 3;
  channelOrder: 'rgb' | 'bgr';
  whiten: boolean;
  resize?: ResizeKernel;
  /** Per-channel mean/std normalisation instead of `whiten` (pretrained backbones). Defaults to none. */
  meanStd?: MeanStd;
}

/** The record for `choice`. */
export function preprocessingRecord(choice: PreprocessingChoice): Preprocessing {
  const kernel = choice.resize ?? DEFAULT_RESIZE;
  return {
    version: 1,
    decode: {
      decoder: 'sharp (libvips); bmp-ts for BMP',
      exifOrientation: true,
      colour: choice.channels === 1 ? 'grey' : 'sRGB',
      depth: 8,
    },
    resize: {
      kernel,
      antialias: kernel === 'bilinear',
      coordinates: 'half_pixel',
      height: choice.height,
      width: choice.width,
      arithmetic: 'float on the 0..255 values, horizontal pass then vertical, not rounded',
      equivalents: { ...RESIZE_EQUIVALENTS[kernel] },
    },
    scale: { divideBy: 255 },
    normalize: choice.meanStd
      ? { kind: 'mean_std', formula: MEAN_STD_FORMULA, mean: [...choice.meanStd.mean], std: [...choice.meanStd.std] }
      : choice.whiten
        ? { kind: 'per_image', formula: PER_IMAGE_FORMULA }
        : { kind: 'none' },
    channels: choice.channels === 1 ? 'L' : choice.channelOrder === 'bgr' ? 'BGR' : 'RGB',
    layout: 'NHWC',
    dtype: 'float32',
  };
}

/** The choices a record makes (the loader's input options). */
export function preprocessingChoice(
  p: Preprocessing,
): Required<Omit<PreprocessingChoice, 'meanStd'>> & Pick<PreprocessingChoice, 'meanStd'> {
  return {
    ...(p.normalize.kind === 'mean_std' ? { meanStd: { mean: [...p.normalize.mean], std: [...p.normalize.std] } } : {}),
    height: p.resize.height,
    width: p.resize.width,
    channels: p.channels === 'L' ? 1 : 3,
    channelOrder: p.channels === 'BGR' ? 'bgr' : 'rgb',
    whiten: p.normalize.kind === 'per_image',
    resize: p.resize.kernel,
  };
}

/** Why `value` is not a preprocessing record this version reads, or null when it is. */
export function preprocessingProblem(value: unknown): string | null {
  const p = value as Partial<Preprocessing> | null;
  if (!p || typeof p !== 'object') return 'preprocessing must be an object';
  if (p.version !== 1) return `preprocessing.version must be 1, received ${JSON.stringify(p.version)}`;
  const r = p.resize;
  if (!r || !RESIZE_KERNELS.includes(r.kernel))
    return `preprocessing.resize.kernel must be one of ${RESIZE_KERNELS.join(', ')}, received ${JSON.stringify(r?.kernel)}`;
  for (const k of ['height', 'width'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 1)
      return `preprocessing.resize.${k} must be a positive integer, received ${JSON.stringify(r[k])}`;
  if (p.scale?.divideBy !== 255)
    return `preprocessing.scale.divideBy must be 255, received ${JSON.stringify(p.scale?.divideBy)}`;
  if (!NORMALIZE_KINDS.includes(p.normalize?.kind as NormalizeKind))
    return `preprocessing.normalize.kind must be one of ${NORMALIZE_KINDS.join(', ')}, received ${JSON.stringify(p.normalize?.kind)}`;
  if (p.normalize?.kind === 'mean_std') {
    const c = p.channels === 'L' ? 1 : 3;
    const { mean, std } = p.normalize;
    if (!Array.isArray(mean) || mean.length !== c || !mean.every(Number.isFinite))
      return `preprocessing.normalize.mean must be ${c} numbers, received ${JSON.stringify(mean)}`;
    if (!Array.isArray(std) || std.length !== c || !std.every((s) => Number.isFinite(s) && s > 0))
      return `preprocessing.normalize.std must be ${c} positive numbers, received ${JSON.stringify(std)}`;
  }
  if (!['RGB', 'BGR', 'L'].includes(p.channels as string))
    return `preprocessing.channels must be RGB, BGR or L, received ${JSON.stringify(p.channels)}`;
  if (p.layout !== 'NHWC') return `preprocessing.layout must be NHWC, received ${JSON.stringify(p.layout)}`;
  return null;
}

/** The preprocessing steps in words, in order (metadata.json and the model card). */
export function preprocessingSteps(p: Preprocessing): string[] {
  const steps = [
    `decode (${p.decode.decoder}), apply EXIF orientation, convert to ${p.decode.colour === 'grey' ? '8-bit grey' : '8-bit sRGB (alpha dropped)'}`,
    `resize to exactly ${p.resize.height}×${p.resize.width} (height×width, aspect not kept) with \`${p.resize.kernel}\` (half-pixel centres${p.resize.antialias ? ', antialiased when downscaling' : ''}), in float on the 0..255 values, not rounded; ` +
      `equals ${Object.entries(p.resize.equivalents)
        .filter(([, v]) => v)
        .map(([k, v]) => `${k} \`${v}\``)
        .join(', ')}`,
    `scale to float32: x / ${p.scale.divideBy}`,
  ];
  if (p.normalize.kind === 'per_image') steps.push(`per-image standardization: ${p.normalize.formula}`);
  if (p.normalize.kind === 'mean_std')
    steps.push(
      `per-channel normalisation (RGB order): (x − mean) / std with mean [${p.normalize.mean.join(', ')}], std [${p.normalize.std.join(', ')}]`,
    );
  if (p.channels === 'BGR') steps.push('swap channels to BGR');
  steps.push(`layout ${p.layout}, batch first, ${p.dtype}`);
  return steps;
}
