/**
 * The one resize (src/data/image/resize.ts) against independent computations: Pillow (Debian's
 * python3-pil, run here through /usr/bin/python3) in float 'F' mode per channel and in uint8 RGB mode,
 * and plain-JS references of the formulas written out per output pixel (no weight tables).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResized, decodeResizedFloat } from '../../src/data/image/decode.ts';
import { resizeImage, type ResizeKernel } from '../../src/data/image/resize.ts';
import { createRng } from '../../src/data/rng.ts';

const PY = '/usr/bin/python3';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-resize-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A smooth-plus-noise RGB image (so antialiasing matters), H×W×3 uint8. */
function testImage(h: number, w: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const px = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v =
          127 + 80 * Math.sin((x * (c + 1)) / 3 + y / 5) + 60 * (rng.next() - 0.5) + ((x + y) % 7 === 0 ? 40 : 0);
        px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  return px;
}

/** Pillow's resize of `px` (H×W×3) per channel in 'F' mode (`float`) or as one RGB uint8 image. */
function pillowResize(
  px: Uint8Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
  filter: string,
  mode: 'float' | 'uint8',
): Promise<Float32Array> {
  const script = `
import sys, numpy as np
from PIL import Image
h, w, oh, ow = map(int, sys.argv[1:5]); filt = getattr(Image, sys.argv[5]); mode = sys.argv[6]
a = np.fromfile(sys.argv[7], dtype=np.uint8).reshape(h, w, 3)
if mode == 'float':
    out = np.stack([np.asarray(Image.fromarray(a[:, :, c].astype(np.float32), 'F').resize((ow, oh), filt)) for c in range(3)], axis=-1)
else:
    out = np.asarray(Image.fromarray(a, 'RGB').resize((ow, oh), filt)).astype(np.float32)
out.astype(np.float32).tofile(sys.argv[8])
`;
  const src = join(dir, `in-${h}x${w}.raw`);
  const dst = join(dir, `out-${h}x${w}-${oh}x${ow}-${filter}-${mode}.raw`);
  return writeFile(src, px).then(async () => {
    execFileSync(PY, ['-c', script, String(h), String(w), String(oh), String(ow), filter, mode, src, dst]);
    const b = await readFile(dst);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  });
}

/** Plain reference of the antialiased (or not) triangle filter, one output pixel at a time, in float64. */
function referenceLinear(
  px: Uint8Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
  antialias: boolean,
): Float64Array {
  const taps = (inSize: number, outSize: number, i: number) => {
    const s = inSize / outSize;
    const sigma = antialias ? Math.max(s, 1) : 1;
    const centre = (i + 0.5) * s; // in input pixel units, pixel j covers [j, j+1)
    const list: Array<[number, number]> = [];
    for (let j = 0; j < inSize; j++) {
      const d = Math.abs(j + 0.5 - centre) / sigma;
      if (d < 1) list.push([j, 1 - d]);
    }
    const total = list.reduce((a, [, v]) => a + v, 0);
    return list.map(([j, v]) => [j, v / total] as [number, number]);
  };
  const rows = Array.from({ length: oh }, (_, y) => taps(h, oh, y));
  const cols = Array.from({ length: ow }, (_, x) => taps(w, ow, x));
  const out = new Float64Array(oh * ow * 3);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (const [sy, wy] of rows[y]!) for (const [sx, wx] of cols[x]!) acc += wy * wx * px[(sy * w + sx) * 3 + c]!;
        out[(y * ow + x) * 3 + c] = acc;
      }
  return out;
}

/** Textbook half-pixel bilinear (two taps, clamped at the edges): tf.image.resize's default, torch's align_corners=False. */
function referenceTwoTap(px: Uint8Array, h: number, w: number, oh: number, ow: number): Float64Array {
  const coord = (i: number, inSize: number, outSize: number) => {
    const src = Math.max((i + 0.5) * (inSize / outSize) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    return { i0, i1: Math.min(i0 + 1, inSize - 1), f: src - i0 };
  };
  const out = new Float64Array(oh * ow * 3);
  for (let y = 0; y < oh; y++) {
    const cy = coord(y, h, oh);
    for (let x = 0; x < ow; x++) {
      const cx = coord(x, w, ow);
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => px[(yy * w + xx) * 3 + c]!;
        const top = at(cy.i0, cx.i0) * (1 - cx.f) + at(cy.i0, cx.i1) * cx.f;
        const bottom = at(cy.i1, cx.i0) * (1 - cx.f) + at(cy.i1, cx.i1) * cx.f;
        out[(y * ow + x) * 3 + c] = top * (1 - cy.f) + bottom * cy.f;
      }
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const ours = (px: Uint8Array, h: number, w: number, oh: number, ow: number, kernel: ResizeKernel) =>
  resizeImage(Float32Array.from(px), h, w, 3, oh, ow, kernel);

// [in h, in w, out h, out w]: 3× and non-integer downscales, upscales, and mixed directions.
const SIZES: Array<[number, number, number, number]> = [
  [144, 432, 48, 144], // 3× down (the 432×144 plates)
  [33, 100, 48, 144], // ~⅔ size → up
  [37, 53, 16, 23], // non-integer down
  [7, 5, 13, 17], // small up
  [40, 30, 25, 45], // down in height, up in width
];

describe('resize bilinear (antialiased) = Pillow Image.BILINEAR', () => {
  for (const [h, w, oh, ow] of SIZES) {
    it(`${h}×${w} → ${oh}×${ow}: float matches Pillow 'F' mode and the per-pixel reference`, async () => {
      const px = testImage(h, w, h * 1000 + w);
      const got = ours(px, h, w, oh, ow, 'bilinear');
      expect(maxDiff(got, await pillowResize(px, h, w, oh, ow, 'BILINEAR', 'float'))).toBeLessThan(1e-3);
      expect(maxDiff(got, referenceLinear(px, h, w, oh, ow, true))).toBeLessThan(1e-3);
    });
  }

  it('rounded to uint8, it is within ±1 of Pillow in RGB mode (Pillow rounds between its passes)', async () => {
    for (const [h, w, oh, ow] of SIZES) {
      const px = testImage(h, w, 7);
      const file = join(dir, `img-${h}x${w}.png`);
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(file);
      const got = await decodeResized(file, { height: oh, width: ow });
      expect(maxDiff(got, await pillowResize(px, h, w, oh, ow, 'BILINEAR', 'uint8'))).toBeLessThanOrEqual(1);
    }
  });

  it('decoding keeps the float values unrounded and an unchanged size is the identity', async () => {
    const px = testImage(12, 20, 3);
    const file = join(dir, 'same.png');
    await sharp(px, { raw: { width: 20, height: 12, channels: 3 } })
      .png()
      .toFile(file);
    expect(Array.from(await decodeResizedFloat(file, { height: 12, width: 20 }))).toEqual(Array.from(px));
    const down = await decodeResizedFloat(file, { height: 5, width: 7 });
    expect(down.some((v) => v !== Math.round(v))).toBe(true);
  });
});

describe('the other kernels', () => {
  it('bilinear_no_antialias is two-tap half-pixel bilinear (tf.image.resize default) and differs from bilinear when downscaling', () => {
    for (const [h, w, oh, ow] of SIZES) {
      const px = testImage(h, w, 11);
      const got = ours(px, h, w, oh, ow, 'bilinear_no_antialias');
      expect(maxDiff(got, referenceTwoTap(px, h, w, oh, ow))).toBeLessThan(1e-3);
      if (oh > h && ow > w) expect(maxDiff(got, ours(px, h, w, oh, ow, 'bilinear'))).toBe(0);
    }
    const px = testImage(144, 432, 1);
    expect(
      maxDiff(ours(px, 144, 432, 48, 144, 'bilinear_no_antialias'), ours(px, 144, 432, 48, 144, 'bilinear')),
    ).toBeGreaterThan(5);
  });

  it('nearest matches Pillow Image.NEAREST except at exact ties, where (i + 0.5)·in/out is an integer', async () => {
    // At a tie Pillow's incrementally summed coordinate lands just below the integer (e.g. 4/7·3.5).
    const tie = (i: number, inSize: number, outSize: number) => ((2 * i + 1) * inSize) % (2 * outSize) === 0;
    let compared = 0;
    let differ = 0;
    let offFormula = 0;
    for (const [h, w, oh, ow] of SIZES) {
      const px = testImage(h, w, 5);
      const got = ours(px, h, w, oh, ow, 'nearest');
      const pil = await pillowResize(px, h, w, oh, ow, 'NEAREST', 'float');
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          if (tie(y, h, oh) || tie(x, w, ow)) continue;
          for (let c = 0; c < 3; c++) if (got[(y * ow + x) * 3 + c] !== pil[(y * ow + x) * 3 + c]) differ++;
          compared++;
        }
      // and exactly the formula: source index min(floor((i + 0.5)·in/out), in − 1)
      const src = (i: number, inSize: number, outSize: number) =>
        Math.min(Math.floor(((2 * i + 1) * inSize) / (2 * outSize)), inSize - 1);
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          if (got[(y * ow + x) * 3] !== px[(src(y, h, oh) * w + src(x, w, ow)) * 3]) offFormula++;
    }
    expect({ compared: compared > 5000, differ, offFormula }).toEqual({ compared: true, differ: 0, offFormula: 0 });
  });

  it('area averages the covered area: Pillow Image.BOX at integer factors, exact fractions otherwise', async () => {
    const px = testImage(144, 432, 2);
    expect(
      maxDiff(ours(px, 144, 432, 48, 144, 'area'), await pillowResize(px, 144, 432, 48, 144, 'BOX', 'float')),
    ).toBeLessThan(1e-3);
    // 3 → 2: output 0 covers [0, 1.5): (p0 + 0.5·p1) / 1.5; output 1 covers [1.5, 3): (0.5·p1 + p2) / 1.5.
    const got = ours(Uint8Array.from([30, 30, 30, 90, 90, 90, 210, 210, 210]), 1, 3, 1, 2, 'area'); // 1×3 pixels, grey in RGB
    expect(Array.from(got).map((v) => +v.toFixed(4))).toEqual([50, 50, 50, 170, 170, 170]);
  });
});
