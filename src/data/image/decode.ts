/**
 * Decoding one image into the pixels every mlc-pipe stage sees. Decoding stays with sharp/libvips
 * (bmp-ts for BMP, image/bmp.ts): EXIF orientation applied (`rotate()`), alpha dropped, converted to
 * sRGB (CMYK, 16-bit and palette inputs included) or to one grey channel, 8 bits per channel. The
 * resize to the model's height×width (fit `fill`: no crop, aspect not kept) is ours (./resize.ts),
 * computed in float on those 8-bit values, so a client outside mlc-pipe can reproduce it exactly.
 */
import { openImage } from './bmp.ts';
import { DEFAULT_RESIZE, resizeImage, type ResizeKernel } from './resize.ts';

export interface DecodeSize {
  height: number;
  width: number;
  /** 1 = grey, 3 = RGB. Defaults to 3. */
  channels?: 1 | 3;
  /** Resize kernel (./resize.ts). Defaults to bilinear (antialiased). */
  resize?: ResizeKernel;
}

/** Decoded 8-bit pixels at the image's own size (after EXIF rotation), H×W×C row-major. */
export interface DecodedPixels {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Decodes `input` (bytes or a file path) to 8-bit RGB (or grey) pixels at its own size, EXIF orientation applied. */
export async function decodePixels(input: Uint8Array | string, channels: 1 | 3 = 3): Promise<DecodedPixels> {
  let img = (await openImage(input, { failOn: 'error' })).rotate();
  img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  const { data, info } = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels, expected ${channels}`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    height: info.height,
    width: info.width,
    channels,
  };
}

/** Resizes decoded pixels to `size` in float; values stay on the 0…255 scale (not rounded). */
export function resizePixels(px: DecodedPixels, size: DecodeSize): Float32Array {
  const f = Float32Array.from(px.data);
  return resizeImage(f, px.height, px.width, px.channels, size.height, size.width, size.resize ?? DEFAULT_RESIZE);
}

/** Decodes and resizes `input` to H×W×C float32 pixels on the 0…255 scale, NHWC row-major. */
export async function decodeResizedFloat(input: Uint8Array | string, size: DecodeSize): Promise<Float32Array> {
  return resizePixels(await decodePixels(input, size.channels ?? 3), size);
}

/** Decodes and resizes `input` to H×W×C uint8 pixels (the float resize rounded and clamped), NHWC row-major. */
export async function decodeResized(input: Uint8Array | string, size: DecodeSize): Promise<Uint8Array> {
  const f = await decodeResizedFloat(input, size);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.round(f[i]!); // every kernel's weights are ≥ 0 and sum to 1: values stay in 0…255
  return out;
}
