/**
 * One image from bytes (or a path) to the float pixels a model sees: decode (sharp), resize in
 * float (./resize.ts), x/255, optional augmentation, optional per-image standardization or per-channel mean/std, optional
 * RGB → BGR. The same steps as the preprocessing record (./preprocessing.ts) and the ONNX `pixels`
 * graph. Runs in loader workers and inline; deterministic for a given `seed`.
 */
import { createRng } from '../rng.ts';
import { augmentImage, type ResolvedAugment } from './augment.ts';
import { decodeResizedFloat } from './decode.ts';
import type { ResizeKernel } from './resize.ts';
import { normalizeMeanStd, perImageStandardize, swapRgbBgr } from './whiten.ts';
import type { MeanStd } from './preprocessing.ts';

export interface PixelSpec {
  height: number;
  width: number;
  channels: 1 | 3;
  channelOrder: 'rgb' | 'bgr';
  whiten: boolean;
  /** Per-channel mean/std on [0,1] pixels in RGB order (torchvision's Normalize), applied instead of `whiten`; absent = none. */
  meanStd?: MeanStd;
  /** Resize kernel (./resize.ts). Defaults to bilinear (antialiased). */
  resize?: ResizeKernel;
  /** Resolved augmentation, or null for none. */
  augment: ResolvedAugment | null;
}

/** Decodes and transforms one image; `seed` drives its augmentation. */
export async function processImage(input: Uint8Array | string, spec: PixelSpec, seed: number): Promise<Float32Array> {
  let px = await decodeResizedFloat(input, spec);
  for (let i = 0; i < px.length; i++) px[i] = px[i]! / 255;
  if (spec.augment) px = augmentImage(px, spec, spec.augment, createRng(seed));
  if (spec.meanStd) normalizeMeanStd(px, spec.meanStd.mean, spec.meanStd.std);
  else if (spec.whiten) perImageStandardize(px);
  if (spec.channelOrder === 'bgr') swapRgbBgr(px, spec.channels);
  return px;
}
