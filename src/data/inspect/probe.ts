/**
 * Probing every image of a folder for `init --from`: can it be read, and what is it (size after
 * EXIF orientation, format, colour space)? Cheaper than check-labels' full-size decode, so it
 * scales to a folder of large photos: the header through sharp's metadata, then a decode shrunk
 * to at most 64×64 under `failOn: 'error'`, which still reads all of the compressed data (a JPEG's
 * DCT scaling shrinks while decoding), so a truncated or corrupt file fails here as it will in
 * check-labels. A BMP goes through check-labels' own probe (image/bmp.ts; sharp has no BMP decoder).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import sharp from 'sharp';
import { inspectImage, TF_DECODABLE_FORMATS } from '../check/inspect.ts';

export interface ProbedImage {
  /** Path relative to the root. */
  path: string;
  format: string;
  /** Width and height after EXIF orientation. */
  width: number;
  height: number;
  channels: number;
  /** Colour space as stored: srgb, b-w, cmyk, rgb16, grey16, … */
  space: string;
  hasAlpha: boolean;
  /** Stored with a palette (PNG, GIF). */
  palette: boolean;
  /** EXIF orientation (1 = none). */
  orientation: number;
  /** A format TensorFlow cannot decode: check-labels re-encodes it to PNG. */
  reencode: boolean;
}

export interface Unreadable {
  path: string;
  reason: string;
}

export interface ProbeResult {
  images: ProbedImage[];
  unreadable: Unreadable[];
}

const first = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0]!;

/** Probes one file (`rel` under `root`, or an absolute path). */
export async function probeImage(root: string, rel: string): Promise<ProbedImage | Unreadable> {
  const file = isAbsolute(rel) ? rel : join(root, rel);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { path: rel, reason: 'file not found' };
  }
  if (size === 0) return { path: rel, reason: 'empty file (0 bytes)' };
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch {
    // Not a header sharp reads: a BMP (check-labels decodes those itself) or not an image at all;
    // check-labels' own probe says which, in the words its rejects list will use.
    const other = await inspectImage(file);
    if (!other.ok) return { path: rel, reason: other.reason };
    const i = other.info;
    return fromInfo(
      rel,
      i.format,
      i.width,
      i.height,
      i.channels,
      i.space,
      i.notes.includes('alpha dropped'),
      false,
      1,
      i.reencode,
    );
  }
  try {
    await sharp(file, { failOn: 'error', limitInputPixels: false }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (err) {
    return { path: rel, reason: `does not decode: ${first(err)}` };
  }
  const o = meta.orientation ?? 1;
  const swap = o >= 5 && o <= 8;
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  const format = meta.format ?? 'unknown';
  return fromInfo(
    rel,
    format,
    swap ? h : w,
    swap ? w : h,
    meta.channels ?? 0,
    meta.space ?? 'unknown',
    Boolean(meta.hasAlpha),
    Boolean(meta.isPalette),
    o,
    !(TF_DECODABLE_FORMATS as readonly string[]).includes(format),
  );
}

function fromInfo(
  path: string,
  format: string,
  width: number,
  height: number,
  channels: number,
  space: string,
  hasAlpha: boolean,
  palette: boolean,
  orientation: number,
  reencode: boolean,
): ProbedImage {
  return { path, format, width, height, channels, space, hasAlpha, palette, orientation, reencode };
}

/** Probes `paths` under `root`, `concurrency` at a time; results in the order of `paths`. */
export async function probeImages(
  root: string,
  paths: string[],
  concurrency: number,
  onProgress?: (done: number, total: number) => void,
): Promise<ProbeResult> {
  const results = new Array<ProbedImage | Unreadable>(paths.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < paths.length; i = next++) {
      results[i] = await probeImage(root, paths[i]!);
      onProgress?.(++done, paths.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, worker));
  const images: ProbedImage[] = [];
  const unreadable: Unreadable[] = [];
  for (const r of results) ('reason' in r ? unreadable : images).push(r as never);
  return { images, unreadable };
}
