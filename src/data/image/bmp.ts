/**
 * BMP, which TensorFlow decodes but sharp (libvips) cannot: the header read here (dimensions
 * before anything is decoded), the pixels by bmp-ts, then handed to sharp as raw RGB so every
 * reader (loader, evaluate, predict, thumbnails, re-encoding) treats them like any other image.
 */
import { readFile } from 'node:fs/promises';
import { decode } from 'bmp-ts';
import sharp from 'sharp';

/** What the BMP header says (BITMAPINFOHEADER or later; the 12-byte OS/2 core header too). */
export interface BmpHeader {
  width: number;
  /** Rows, whichever way they are stored (a negative height in the file means top-down). */
  height: number;
  bitsPerPixel: number;
  /** 0 none, 1 RLE8, 2 RLE4, 3 bit fields, 6 alpha bit fields. */
  compression: number;
}

/** Whether `bytes` start like a BMP file ("BM"). */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** The header of a BMP file, or an Error saying why it is not one. */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isBmp(b) || b.length < 26) throw new Error('not a BMP file (too short or no "BM" signature)');
  const headerSize = b.readUInt32LE(14);
  if (headerSize === 12)
    return { width: b.readUInt16LE(18), height: b.readUInt16LE(20), bitsPerPixel: b.readUInt16LE(24), compression: 0 };
  if (headerSize < 40 || b.length < 34)
    throw new Error(`BMP header of ${headerSize} bytes is not one of the known sizes`);
  return {
    width: b.readInt32LE(18),
    height: Math.abs(b.readInt32LE(22)),
    bitsPerPixel: b.readUInt16LE(28),
    compression: b.readUInt32LE(30),
  };
}

/**
 * Whether TensorFlow's `decode_bmp` reads this BMP as the pixels it holds: uncompressed 24- or
 * 32-bit only (it takes the bytes of an 8-bit file as grey levels, ignoring the palette, and
 * rejects or misreads compressed and other depths).
 */
export function tensorflowReadsBmp(h: BmpHeader): boolean {
  return h.compression === 0 && (h.bitsPerPixel === 24 || h.bitsPerPixel === 32);
}

/** Decoded BMP pixels: height × width × 3 RGB bytes, top row first (alpha, if any, dropped). */
export interface BmpPixels {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * Depths and compressions decodeBmp reads. bmp-ts misreads the others (4-bit rows of odd width
 * stop after one row; RLE4/RLE8 runs land on the wrong bytes), so those are refused, not guessed.
 */
export function bmpDecodable(h: BmpHeader): boolean {
  return (
    [1, 8, 16, 24, 32].includes(h.bitsPerPixel) &&
    (h.compression === 0 || (h.compression === 3 && h.bitsPerPixel >= 16))
  );
}

/** Decodes a BMP (1/8-bit palette, 16/24/32-bit, bit fields) to RGB. Throws on truncated or corrupt data and on what bmpDecodable refuses. */
export function decodeBmp(bytes: Uint8Array): BmpPixels {
  const h = readBmpHeader(bytes);
  if (h.width <= 0 || h.height <= 0) throw new Error(`BMP of ${h.width}×${h.height} pixels has no pixels`);
  if (!bmpDecodable(h))
    throw new Error(
      `${h.bitsPerPixel}-bit BMP${h.compression ? ` with compression ${h.compression} (RLE)` : ''} is not supported; convert it to PNG`,
    );
  // Uncompressed rows have a known size: a file too short for them is truncated, said before
  // bmp-ts allocates width × height × 4 bytes for what its header claims.
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needed = b.readUInt32LE(10) + Math.ceil((h.width * h.bitsPerPixel) / 32) * 4 * h.height;
  if (b.length < needed)
    throw new Error(
      `BMP is truncated: its header says ${h.width}×${h.height} at ${h.bitsPerPixel} bits (${needed} bytes), the file has ${b.length}`,
    );
  // bmp-ts's own layout (ABGR per pixel): its toRGBA option is not applied on the palette paths.
  const img = decode(b);
  const n = img.width * img.height;
  if (img.data.length !== n * 4) throw new Error(`BMP decoded to ${img.data.length} bytes, expected ${n * 4}`);
  const rgb = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = img.data[i * 4 + 3]!;
    rgb[i * 3 + 1] = img.data[i * 4 + 2]!;
    rgb[i * 3 + 2] = img.data[i * 4 + 1]!;
  }
  return { width: img.width, height: img.height, data: rgb };
}

/**
 * A sharp pipeline over `input` (a path or the file's bytes): sharp's own decoder, or for a BMP the
 * pixels decoded here as raw RGB (sharp's `failOn` and `limitInputPixels` then do not apply, so a
 * pixel limit is checked on the header before decoding).
 */
export async function openImage(
  input: string | Uint8Array,
  options: sharp.SharpOptions & { limitInputPixels?: number | boolean } = {},
): Promise<sharp.Sharp> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  if (!isBmp(bytes)) return sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  const h = readBmpHeader(bytes);
  const limit =
    typeof options.limitInputPixels === 'number'
      ? options.limitInputPixels
      : options.limitInputPixels === false
        ? Infinity
        : 0x3fff * 0x3fff;
  if (h.width * h.height > limit) throw new Error(`Input image exceeds pixel limit (${h.width}×${h.height})`);
  const px = decodeBmp(bytes);
  return sharp(px.data, { raw: { width: px.width, height: px.height, channels: 3 } });
}
