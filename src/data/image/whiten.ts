/**
 * Pixel normalisation applied after augmentation.
 *
 * `perImageStandardize` follows `tf.image.per_image_standardization` exactly:
 *   y = (x − mean) / max(stddev, 1/√N),  N = H·W·C, mean and (population) stddev over the whole image.
 * Input is [0,1]-scaled pixels, as in the PyTorch reference (x/255 then standardise); the result only
 * differs from standardising 0..255 pixels where the 1/√N floor applies (near-constant images).
 */

/** Standardises `pixels` in place over all values; returns it. */
export function perImageStandardize(pixels: Float32Array): Float32Array {
  const n = pixels.length;
  if (n === 0) return pixels;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pixels[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = pixels[i]! - mean;
    sq += d * d;
  }
  const adjusted = Math.max(Math.sqrt(sq / n), 1 / Math.sqrt(n));
  for (let i = 0; i < n; i++) pixels[i] = (pixels[i]! - mean) / adjusted;
  return pixels;
}

/**
 * torchvision's `Normalize(mean, std)` on interleaved [0,1] pixels, in place: channel c of every
 * pixel becomes (x − mean[c]) / std[c]. Returns `pixels`.
 */
export function normalizeMeanStd(pixels: Float32Array, mean: readonly number[], std: readonly number[]): Float32Array {
  const c = mean.length;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i]! - mean[i % c]!) / std[i % c]!;
  return pixels;
}

/** Swaps channel 0 and 2 of every pixel (RGB ↔ BGR) in place for C = 3; no-op otherwise. */
export function swapRgbBgr(pixels: Float32Array, channels: number): Float32Array {
  if (channels !== 3) return pixels;
  for (let i = 0; i < pixels.length; i += 3) {
    const r = pixels[i]!;
    pixels[i] = pixels[i + 2]!;
    pixels[i + 2] = r;
  }
  return pixels;
}

/** uint8 pixels → float32 in [0,1]. */
export function toUnitFloat(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}
