/**
 * Decoding one image into raw 8-bit pixels of a fixed size, the way every mlc-pipe stage sees it:
 * EXIF orientation applied (`rotate()`), resized to exactly height×width (fit `fill`, no crop,
 * aspect not kept, like `tf.image.resize`), alpha dropped, converted to sRGB (CMYK, 16-bit and
 * palette inputs included) or to one grey channel, 8 bits per channel. BMP is decoded by bmp-ts
 * (image/bmp.ts), everything else by sharp.
 */
import { openImage } from './bmp.ts';

export interface DecodeSize {
  height: number;
  width: number;
  /** 1 = grey, 3 = RGB. Defaults to 3. */
  channels?: 1 | 3;
}

/** Decodes `input` (bytes or a file path) to H×W×C uint8 pixels in RGB (or grey) order, NHWC row-major. */
export async function decodeResized(input: Uint8Array | string, size: DecodeSize): Promise<Uint8Array> {
  const channels = size.channels ?? 3;
  let img = (await openImage(input, { failOn: 'error' }))
    .rotate()
    .resize(size.width, size.height, { fit: 'fill' });
  img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  const { data, info } = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || info.width !== size.width || info.height !== size.height) {
    throw new Error(
      `decoded to ${info.width}×${info.height}×${info.channels}, expected ${size.width}×${size.height}×${channels}`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
