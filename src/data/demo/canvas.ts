/** A tiny float canvas for composing demo images: one ink plane, stamped glyphs, then colourised. */
import { GLYPH_SIZE } from './glyphs.ts';

export interface InkCanvas {
  width: number;
  height: number;
  /** Ink coverage per pixel in [0,1]. */
  ink: Float32Array;
}

export function createCanvas(width: number, height: number): InkCanvas {
  return { width, height, ink: new Float32Array(width * height) };
}

/** Draws a 28×28 glyph scaled to w×h at (x, y) (bilinear), combining with max. */
export function stampGlyph(c: InkCanvas, g: Float32Array, x: number, y: number, w: number, h: number): void {
  const n = GLYPH_SIZE;
  for (let dy = 0; dy < h; dy++) {
    const py = y + dy;
    if (py < 0 || py >= c.height) continue;
    const sy = Math.min(Math.max(((dy + 0.5) * n) / h - 0.5, 0), n - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, n - 1);
    const fy = sy - y0;
    for (let dx = 0; dx < w; dx++) {
      const px = x + dx;
      if (px < 0 || px >= c.width) continue;
      const sx = Math.min(Math.max(((dx + 0.5) * n) / w - 0.5, 0), n - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, n - 1);
      const fx = sx - x0;
      const v =
        (g[y0 * n + x0]! * (1 - fx) + g[y0 * n + x1]! * fx) * (1 - fy) +
        (g[y1 * n + x0]! * (1 - fx) + g[y1 * n + x1]! * fx) * fy;
      const at = py * c.width + px;
      if (v > c.ink[at]!) c.ink[at] = v;
    }
  }
}

/** Paper colour + ink colour blended by the ink plane, plus gaussian noise (σ in 0..255 units) → RGB bytes. */
export function colourise(
  c: InkCanvas,
  paper: [number, number, number],
  inkColour: [number, number, number],
  noise: number,
  normal: () => number,
): Uint8Array {
  const out = new Uint8Array(c.width * c.height * 3);
  for (let i = 0; i < c.ink.length; i++) {
    const a = c.ink[i]!;
    for (let k = 0; k < 3; k++) {
      const v = paper[k]! * (1 - a) + inkColour[k]! * a + noise * normal();
      out[i * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return out;
}
