/**
 * `fashion-multilabel`: 64×64 RGB canvases holding 1–3 distinct Fashion-MNIST garments (real
 * images, each scaled to 24–36 px and placed at random, overlaps allowed) on tinted paper with
 * noise → 10 binary heads (multi-hot), one per garment class. Train images use the first 80% of
 * each class's samples, val/test the rest.
 */
import type { HeadSpec } from '../heads.ts';
import { createRng, mixSeed, shuffleInPlace } from '../rng.ts';
import { colourise, createCanvas, stampGlyph } from './canvas.ts';
import { glyph, loadGlyphs } from './glyphs.ts';
import { splitOf, writeDemo, type DemoSummary } from './write.ts';

export const FASHION_SIZE = 64;

/** Fashion-MNIST class names (label 0..9) as head names. */
export const FASHION_CLASSES = [
  'tshirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle_boot',
];

export const FASHION_HEADS: HeadSpec[] = FASHION_CLASSES.map((name) => ({ name, classes: [name] }));

export interface FashionOptions {
  out: string;
  n: number;
  seed: number;
  /** Fraction of images in val (and again in test). Defaults to 0.1. */
  valFraction?: number;
  /** Fashion-MNIST samples read per class. Defaults to 200. */
  perClass?: number;
}

export async function makeFashionMultilabel(opts: FashionOptions): Promise<DemoSummary> {
  const valFraction = opts.valFraction ?? 0.1;
  const clothes = await loadGlyphs('fashion-mnist', opts.perClass ?? 200);
  const order = shuffleInPlace(
    Array.from({ length: opts.n }, (_, i) => i),
    createRng(mixSeed(opts.seed, 0xf1)),
  );
  const rank = new Int32Array(opts.n);
  order.forEach((item, r) => (rank[item] = r));

  return writeDemo(opts.out, opts.n, FASHION_HEADS, (i) => {
    const rng = createRng(mixSeed(opts.seed, i));
    const split = splitOf(rank[i]!, opts.n, valFraction, valFraction);
    const canvas = createCanvas(FASHION_SIZE, FASHION_SIZE);
    const k = 1 + rng.int(3);
    const picked = shuffleInPlace(
      Array.from({ length: 10 }, (_, c) => c),
      rng,
    ).slice(0, k);
    const labels = new Array<number>(10).fill(0);
    for (const c of picked) {
      const cls = clothes[c]!;
      const cut = Math.floor(cls.count * 0.8);
      const sample = split === 'train' ? rng.int(cut) : cut + rng.int(cls.count - cut);
      const s = 24 + rng.int(13);
      stampGlyph(canvas, glyph(cls, sample), rng.int(FASHION_SIZE - s + 1), rng.int(FASHION_SIZE - s + 1), s, s);
      labels[c] = 1;
    }
    const paper: [number, number, number] = [rng.int(90), rng.int(90), rng.int(90)];
    const ink: [number, number, number] = [170 + rng.int(86), 170 + rng.int(86), 170 + rng.int(86)];
    const rgb = colourise(canvas, paper, ink, 8, rng.normal);
    return {
      path: `images/${String(i).padStart(6, '0')}.jpg`,
      rgb,
      width: FASHION_SIZE,
      height: FASHION_SIZE,
      labels,
      split,
    };
  });
}
