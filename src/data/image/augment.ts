/**
 * Training-time augmentation on one H×W×C image of [0,1] floats, ported in spirit from the seed's
 * `dataset_util.py` (tf.image ops), in this order:
 *
 * 1. geometry (each optional, off by default), one bilinear resample with edge clamping:
 *    horizontal flip (p = 0.5), random crop (side scale in [1 − crop, 1], random position, scaled
 *    back to H×W), rotation by a uniform angle in ±`rotate` degrees about the centre;
 * 2. noise, with equal probability: gaussian (σ = `gaussianStd`), salt-and-pepper (a fraction
 *    `saltPepper` of pixels set to 0 or 1, all channels), or none;
 * 3. brightness, saturation and contrast jitter in a random order:
 *    - brightness: add δ ~ U(−`brightness`, +`brightness`) (tf.image.random_brightness);
 *    - saturation: blend with the luma grey image by f ~ U(`saturation`) (grey images: skipped).
 *      Porting note: tf.image.adjust_saturation scales S in HSV; the luma blend (as torchvision's
 *      ColorJitter) is cheaper and gives the same effect for f in [0.5, 1.5] up to hue rounding;
 *    - contrast: (x − mean_c)·f + mean_c per channel, f ~ U(`contrast`) (tf.image.adjust_contrast);
 * 4. clip to [0, 1].
 *
 * Mixup is not done here (it needs two images); the loader applies it per batch, see loader.ts.
 */
import type { Rng } from '../rng.ts';

export interface AugmentOptions {
  /** Pick gaussian noise, salt-and-pepper noise or none with equal probability. Defaults to true. */
  noise?: boolean;
  /** Standard deviation of the gaussian noise on [0,1] pixels. Defaults to 0.05. */
  gaussianStd?: number;
  /** Fraction of pixels hit by salt-and-pepper noise. Defaults to 0.02. */
  saltPepper?: number;
  /** Largest brightness delta on [0,1] pixels; 0 = off. Defaults to 0.2. */
  brightness?: number;
  /** Saturation factor range; [1, 1] = off. Defaults to [0.5, 1.5]. */
  saturation?: [number, number];
  /** Contrast factor range; [1, 1] = off. Defaults to [0.5, 1.5]. */
  contrast?: [number, number];
  /** Flip left-right with probability 0.5. Defaults to false. */
  hflip?: boolean;
  /** Random crop: the crop side is a fraction in [1 − crop, 1] of the image side; 0 = off. Defaults to 0. */
  crop?: number;
  /** Largest rotation in degrees (uniform in ±rotate); 0 = off. Defaults to 0. */
  rotate?: number;
  /** Mixup Beta(α, α) parameter; 0 = off. Applied per batch by the loader. Defaults to 0. */
  mixup?: number;
}

export type ResolvedAugment = Required<AugmentOptions>;

/** Applies the defaults documented on AugmentOptions. */
export function resolveAugment(options: AugmentOptions = {}): ResolvedAugment {
  return {
    noise: options.noise ?? true,
    gaussianStd: options.gaussianStd ?? 0.05,
    saltPepper: options.saltPepper ?? 0.02,
    brightness: options.brightness ?? 0.2,
    saturation: options.saturation ?? [0.5, 1.5],
    contrast: options.contrast ?? [0.5, 1.5],
    hflip: options.hflip ?? false,
    crop: options.crop ?? 0,
    rotate: options.rotate ?? 0,
    mixup: options.mixup ?? 0,
  };
}

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Augments `px` (H×W×C floats in [0,1]); returns the augmented image (may be a new array). */
export function augmentImage(px: Float32Array, shape: ImageShape, opts: ResolvedAugment, rng: Rng): Float32Array {
  let out = geometry(px, shape, opts, rng);
  const kind = opts.noise ? rng.int(3) : 2;
  if (kind === 0) addGaussian(out, opts.gaussianStd, rng);
  else if (kind === 1) saltAndPepper(out, shape, opts.saltPepper, rng);
  const order = [0, 1, 2];
  for (let i = 2; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const op of order) {
    if (op === 0 && opts.brightness > 0) adjustBrightness(out, rng.uniform(-opts.brightness, opts.brightness));
    if (op === 1 && shape.channels === 3) adjustSaturation(out, rng.uniform(opts.saturation[0], opts.saturation[1]));
    if (op === 2) adjustContrast(out, shape.channels, rng.uniform(opts.contrast[0], opts.contrast[1]));
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? 0 : out[i]! > 1 ? 1 : out[i]!;
  return out;
}

/** Adds `delta` to every value. */
export function adjustBrightness(px: Float32Array, delta: number): void {
  for (let i = 0; i < px.length; i++) px[i] = px[i]! + delta;
}

/** Blends RGB pixels with their luma (0.299 R + 0.587 G + 0.114 B) grey: grey + f·(x − grey). */
export function adjustSaturation(px: Float32Array, factor: number): void {
  for (let i = 0; i < px.length; i += 3) {
    const g = 0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!;
    px[i] = g + factor * (px[i]! - g);
    px[i + 1] = g + factor * (px[i + 1]! - g);
    px[i + 2] = g + factor * (px[i + 2]! - g);
  }
}

/** Per channel: (x − mean_c)·f + mean_c, as tf.image.adjust_contrast. */
export function adjustContrast(px: Float32Array, channels: number, factor: number): void {
  const n = px.length / channels;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c; i < px.length; i += channels) sum += px[i]!;
    const mean = sum / n;
    for (let i = c; i < px.length; i += channels) px[i] = (px[i]! - mean) * factor + mean;
  }
}

function addGaussian(px: Float32Array, std: number, rng: Rng): void {
  rng.addNormal(px, std);
}

function saltAndPepper(px: Float32Array, shape: ImageShape, amount: number, rng: Rng): void {
  const pixels = shape.height * shape.width;
  const hits = Math.round(pixels * amount);
  for (let k = 0; k < hits; k++) {
    const p = rng.int(pixels);
    const v = rng.next() < 0.5 ? 0 : 1;
    for (let c = 0; c < shape.channels; c++) px[p * shape.channels + c] = v;
  }
}

/** Flip / crop / rotate as one inverse-mapped bilinear resample; returns `px` untouched when all are off. */
function geometry(px: Float32Array, shape: ImageShape, opts: ResolvedAugment, rng: Rng): Float32Array {
  const flip = opts.hflip && rng.next() < 0.5;
  const scale = opts.crop > 0 ? rng.uniform(1 - opts.crop, 1) : 1;
  const angle = opts.rotate > 0 ? (rng.uniform(-opts.rotate, opts.rotate) * Math.PI) / 180 : 0;
  if (!flip && scale === 1 && angle === 0) return px;
  const { height: h, width: w, channels: ch } = shape;
  // Crop window centre (in source pixels), random within the slack the crop leaves.
  const cx = (w - 1) / 2 + (rng.next() - 0.5) * (1 - scale) * w;
  const cy = (h - 1) / 2 + (rng.next() - 0.5) * (1 - scale) * h;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out = new Float32Array(px.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let u = (x - (w - 1) / 2) * scale;
      const v = (y - (h - 1) / 2) * scale;
      if (flip) u = -u;
      const sx = cx + cos * u - sin * v;
      const sy = cy + sin * u + cos * v;
      sampleBilinear(px, shape, sx, sy, out, (y * w + x) * ch);
    }
  }
  return out;
}

function sampleBilinear(
  px: Float32Array,
  shape: ImageShape,
  sx: number,
  sy: number,
  out: Float32Array,
  at: number,
): void {
  const { height: h, width: w, channels: ch } = shape;
  const x = Math.min(Math.max(sx, 0), w - 1);
  const y = Math.min(Math.max(sy, 0), h - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const fx = x - x0;
  const fy = y - y0;
  for (let c = 0; c < ch; c++) {
    const a = px[(y0 * w + x0) * ch + c]!;
    const b = px[(y0 * w + x1) * ch + c]!;
    const d = px[(y1 * w + x0) * ch + c]!;
    const e = px[(y1 * w + x1) * ch + c]!;
    out[at + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
  }
}
