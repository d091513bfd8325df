/**
 * One image from bytes (or a path) to the float pixels a model sees: decode + resize, optional
 * augmentation, per-image standardization (or x/255), optional RGB → BGR. Runs in loader workers
 * and inline; deterministic for a given `seed`.
 */
import { createRng } from '../rng.ts';
import { augmentImage, type ResolvedAugment } from './augment.ts';
import { decodeResized } from './decode.ts';
import { perImageStandardize, swapRgbBgr, toUnitFloat } from './whiten.ts';

export interface PixelSpec {
  height: number;
  width: number;
  channels: 1 | 3;
  channelOrder: 'rgb' | 'bgr';
  whiten: boolean;
  /** Resolved augmentation, or null for none. */
  augment: ResolvedAugment | null;
}

/** Decodes and transforms one image; `seed` drives its augmentation. */
export async function processImage(input: Uint8Array | string, spec: PixelSpec, seed: number): Promise<Float32Array> {
  const bytes = await decodeResized(input, spec);
  let px = toUnitFloat(bytes);
  if (spec.augment) px = augmentImage(px, spec, spec.augment, createRng(seed));
  if (spec.whiten) perImageStandardize(px);
  if (spec.channelOrder === 'bgr') swapRgbBgr(px, spec.channels);
  return px;
}
