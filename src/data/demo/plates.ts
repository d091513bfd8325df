/**
 * `plates`: 48×144 RGB "licence plates" of four real MNIST digits side by side, plus an attribute
 * head `inverted` (light ink on dark paper). Random paper/ink tint, per-digit size and offset jitter,
 * gaussian pixel noise; about `unknownRate` of the labels are replaced by -1 (unknown).
 * Train images use the first 80% of each digit's MNIST samples, val/test the rest, so evaluation
 * sees unseen handwriting.
 */
import type { HeadSpec } from '../heads.ts';
import { createRng, mixSeed, shuffleInPlace } from '../rng.ts';
import { colourise, createCanvas, stampGlyph } from './canvas.ts';
import { glyph, loadGlyphs } from './glyphs.ts';
import { splitOf, writeDemo, type DemoSummary } from './write.ts';

export const PLATE_HEIGHT = 48;
export const PLATE_WIDTH = 144;

export interface PlatesOptions {
  out: string;
  n: number;
  seed: number;
  /** Fraction of images in val (and again in test). Defaults to 0.1. */
  valFraction?: number;
  /** Fraction of labels set to -1. Defaults to 0.03. */
  unknownRate?: number;
  /** MNIST samples read per digit. Defaults to 300. */
  perClass?: number;
}

export const PLATE_HEADS: HeadSpec[] = [
  ...[0, 1, 2, 3].map((i) => ({ name: `digit${i}`, classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] })),
  { name: 'inverted', classes: ['normal', 'inverted'] },
];

export async function makePlates(opts: PlatesOptions): Promise<DemoSummary> {
  const valFraction = opts.valFraction ?? 0.1;
  const unknownRate = opts.unknownRate ?? 0.03;
  const digits = await loadGlyphs('mnist', opts.perClass ?? 300);
  const order = shuffleInPlace(
    Array.from({ length: opts.n }, (_, i) => i),
    createRng(mixSeed(opts.seed, 0xd1)),
  );
  const rank = new Int32Array(opts.n);
  order.forEach((item, r) => (rank[item] = r));

  return writeDemo(opts.out, opts.n, PLATE_HEADS, (i) => {
    const rng = createRng(mixSeed(opts.seed, i));
    const split = splitOf(rank[i]!, opts.n, valFraction, valFraction);
    const canvas = createCanvas(PLATE_WIDTH, PLATE_HEIGHT);
    const labels: number[] = [];
    const slot = PLATE_WIDTH / 4;
    for (let k = 0; k < 4; k++) {
      const d = rng.int(10);
      const cls = digits[d]!;
      const cut = Math.floor(cls.count * 0.8);
      const sample = split === 'train' ? rng.int(cut) : cut + rng.int(cls.count - cut);
      const h = 34 + rng.int(11);
      const w = Math.round(h * rng.uniform(0.8, 1.0));
      const x = Math.round(k * slot + (slot - w) / 2 + rng.uniform(-3, 3));
      const y = Math.round((PLATE_HEIGHT - h) / 2 + rng.uniform(-3, 3));
      stampGlyph(canvas, glyph(cls, sample), x, y, w, h);
      labels.push(d);
    }
    const inverted = rng.next() < 0.5 ? 1 : 0;
    labels.push(inverted);
    const light: [number, number, number] = [200 + rng.int(56), 200 + rng.int(56), 170 + rng.int(86)];
    const dark: [number, number, number] = [rng.int(60), rng.int(60), 20 + rng.int(80)];
    const rgb = inverted
      ? colourise(canvas, dark, light, 12, rng.normal)
      : colourise(canvas, light, dark, 12, rng.normal);
    for (let k = 0; k < labels.length; k++) if (rng.next() < unknownRate) labels[k] = -1;
    return {
      path: `images/${String(i).padStart(6, '0')}.jpg`,
      rgb,
      width: PLATE_WIDTH,
      height: PLATE_HEIGHT,
      labels,
      split,
    };
  });
}
