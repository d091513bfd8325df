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
 *   recorded width/height are those after rotation; noted.
 */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';

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
}

export type Inspection = { ok: true; info: ImageInfo } | { ok: false; kind: string; reason: string };

export async function inspectImage(file: string): Promise<Inspection> {
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
    const img = sharp(file, { failOn: 'error' });
    const meta = await img.metadata();
    // A full decode (not just the header) so truncated / corrupt data is caught.
    await img.clone().raw().toBuffer();
    const orientation = meta.orientation ?? 1;
    const swap = orientation >= 5 && orientation <= 8;
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    const bits = meta.depth === 'ushort' ? 16 : meta.depth === 'uchar' || meta.depth === undefined ? 8 : 32;
    const channels = meta.channels ?? 0;
    const notes: string[] = [];
    if (meta.space === 'cmyk') notes.push('cmyk→srgb');
    else if (channels <= 2) notes.push('grey');
    if (meta.hasAlpha) notes.push('alpha dropped');
    if (bits !== 8) notes.push(`${bits}-bit→8-bit`);
    if (orientation !== 1) notes.push(`exif orientation ${orientation} applied`);
    return {
      ok: true,
      info: { format: meta.format ?? 'unknown', width: swap ? h : w, height: swap ? w : h, channels, bits, space: meta.space ?? 'unknown', notes },
    };
  } catch (err) {
    return { ok: false, kind: 'does not decode', reason: `does not decode: ${((err as Error).message ?? String(err)).split('\n')[0]}` };
  }
}
