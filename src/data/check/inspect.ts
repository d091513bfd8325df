/**
 * Probing one image file for check-labels: exists, non-empty, fully decodes (sharp, `failOn:
 * 'error'`, so truncated or corrupt data is an error rather than a grey tail), and what it is.
 *
 * Policy (what is accepted, and how the loader will read it):
 * - missing file, zero-byte file, undecodable or truncated data → rejected;
 * - grey (1 channel), grey+alpha, RGBA, palette → accepted; the loader converts to the requested
 *   channels (alpha dropped); noted;
 * - CMYK JPEG → accepted, converted to sRGB on load; noted;
 * - 16-bit PNG/TIFF → accepted, reduced to 8 bits on load; noted;
 * - EXIF orientation ≠ 1 → accepted, the rotation is applied on load (sharp `.rotate()`), and the
 *   recorded width/height are those after rotation; noted;
 * - more pixels than `maxPixels` (read from the header, before anything is decoded) → rejected;
 * - a format TensorFlow's decode_image cannot read (anything but JPEG, PNG, GIF, BMP, WebP: TIFF,
 *   SVG, HEIF, …) → `reencode: true` in the info (check-labels converts it to PNG or rejects it,
 *   per its `unsupported_format` param);
 * - several pages or frames (TIFF, animated GIF/WebP) → only the first is used; noted;
 * - BMP (no sharp decoder: header and pixels through image/bmp.ts) → accepted as is when
 *   uncompressed 24/32-bit; a palette, 16-bit or RLE BMP, which TensorFlow misreads, is re-encoded
 *   (or rejected) like a format it cannot decode.
 */
import { open, readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp, isBmp, readBmpHeader, tensorflowReadsBmp, type BmpHeader } from '../image/bmp.ts';

/** Formats TensorFlow's `tf.io.decode_image` reads (sharp's names; BMP is read by image/bmp.ts, uncompressed 24/32-bit only as is). */
export const TF_DECODABLE_FORMATS = ['jpeg', 'png', 'gif', 'bmp', 'webp'] as const;

export interface InspectOptions {
  /** Largest width × height accepted (checked from the header, before decoding). Defaults to 50 000 000. */
  maxPixels?: number;
}

export interface ImageInfo {
  format: string;
  /** Width and height after EXIF orientation. */
  width: number;
  height: number;
  /** Channels as stored (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA or CMYK). */
  channels: number;
  /** Bits per sample: 8 or 16. */
  bits: number;
  /** Colour space as stored, e.g. srgb, b-w, cmyk, rgb16, grey16. */
  space: string;
  /** Conversions the loader will apply, e.g. `cmyk→srgb`. */
  notes: string[];
  /** Pages or frames in the file (only the first is used). */
  pages: number;
  /** The format is not one TensorFlow decodes: the image must be re-encoded (or rejected). */
  reencode: boolean;
}

export type Inspection = { ok: true; info: ImageInfo } | { ok: false; kind: string; reason: string };

async function startsWithBM(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return isBmp(b);
  } finally {
    await fh.close();
  }
}

/** A BMP: dimensions from its header, checked against the pixel limit, then a full decode (bmp-ts). */
async function inspectBmp(file: string, maxPixels: number): Promise<Inspection> {
  const bytes = await readFile(file);
  let h: BmpHeader;
  try {
    h = readBmpHeader(bytes);
  } catch (err) {
    return { ok: false, kind: 'does not decode', reason: `does not decode: ${(err as Error).message}` };
  }
  if (h.width * h.height > maxPixels) {
    return {
      ok: false,
      kind: 'too many pixels',
      reason: `${h.width}×${h.height} = ${pixels(h.width * h.height)} pixels is over max_pixels ${pixels(maxPixels)} (checked before decoding)`,
    };
  }
  try {
    decodeBmp(bytes);
  } catch (err) {
    return {
      ok: false,
      kind: 'does not decode',
      reason: `does not decode: BMP: ${((err as Error).message ?? String(err)).split('\n')[0]}`,
    };
  }
  const reencode = !tensorflowReadsBmp(h);
  const depth = h.bitsPerPixel <= 8 ? `${h.bitsPerPixel}-bit palette` : `${h.bitsPerPixel}-bit`;
  const notes = reencode
    ? [`bmp ${depth}${h.compression ? `, compression ${h.compression}` : ''}: TensorFlow misreads it`]
    : [];
  if (h.bitsPerPixel === 32) notes.push('alpha dropped');
  return {
    ok: true,
    info: {
      format: 'bmp',
      width: h.width,
      height: h.height,
      channels: h.bitsPerPixel === 32 ? 4 : 3,
      bits: 8,
      space: 'srgb',
      notes,
      pages: 1,
      reencode,
    },
  };
}

function pixels(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n);
}

export async function inspectImage(file: string, options: InspectOptions = {}): Promise<Inspection> {
  const maxPixels = options.maxPixels ?? 50_000_000;
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) return { ok: false, kind: 'not a file', reason: `not a regular file: ${file}` };
    size = s.size;
  } catch {
    return { ok: false, kind: 'file not found', reason: `file not found: ${file}` };
  }
  if (size === 0) return { ok: false, kind: 'empty file', reason: 'empty file (0 bytes)' };
  try {
    // The header first (no pixel limit: it decodes nothing), then the decode under the limit.
    const img = sharp(file, { failOn: 'error', limitInputPixels: false });
    if (await startsWithBM(file)) return await inspectBmp(file, maxPixels);
    const meta = await img.metadata();
    const w = meta.width ?? 0;
    const h = meta.pageHeight ?? meta.height ?? 0;
    if (w * h > maxPixels) {
      return {
        ok: false,
        kind: 'too many pixels',
        reason: `${w}×${h} = ${pixels(w * h)} pixels is over max_pixels ${pixels(maxPixels)} (checked before decoding)`,
      };
    }
    // A full decode (not just the header) so truncated / corrupt data is caught.
    await sharp(file, { failOn: 'error', limitInputPixels: Math.max(1, Math.min(maxPixels, 2 ** 31 - 1)) })
      .raw()
      .toBuffer();
    const orientation = meta.orientation ?? 1;
    const swap = orientation >= 5 && orientation <= 8;
    const bits = meta.depth === 'ushort' ? 16 : meta.depth === 'uchar' || meta.depth === undefined ? 8 : 32;
    const channels = meta.channels ?? 0;
    const format = meta.format ?? 'unknown';
    const pages = meta.pages ?? 1;
    const reencode = !(TF_DECODABLE_FORMATS as readonly string[]).includes(format);
    const notes: string[] = [];
    if (meta.space === 'cmyk') notes.push('cmyk→srgb');
    else if (channels <= 2) notes.push('grey');
    if (meta.hasAlpha) notes.push('alpha dropped');
    if (bits !== 8) notes.push(`${bits}-bit→8-bit`);
    if (orientation !== 1) notes.push(`exif orientation ${orientation} applied`);
    if (pages > 1) notes.push(`multi-page (${pages}): first page used`);
    return {
      ok: true,
      info: {
        format,
        width: swap ? h : w,
        height: swap ? w : h,
        channels,
        bits,
        space: meta.space ?? 'unknown',
        notes,
        pages,
        reencode,
      },
    };
  } catch (err) {
    const msg = ((err as Error).message ?? String(err)).split('\n')[0]!;
    if (/pixel limit/i.test(msg))
      return { ok: false, kind: 'too many pixels', reason: `over max_pixels ${pixels(maxPixels)}: ${msg}` };
    return { ok: false, kind: 'does not decode', reason: `does not decode: ${msg}` };
  }
}
