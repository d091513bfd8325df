/** Tiny in-memory data behind the Loader interface, for loop tests. */
import type { Batch } from '../../src/data/loader/create-loader.ts';

export function memoryLoader(opts: {
  n: number;
  h: number;
  w: number;
  c: number;
  heads: number[];
  batchSize: number;
  seed?: number;
}) {
  let s = opts.seed ?? 1;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const size = opts.h * opts.w * opts.c;
  const images = new Float32Array(opts.n * size).map(() => rand() * 2 - 1);
  const labels = new Int32Array(opts.n * opts.heads.length);
  for (let i = 0; i < opts.n; i++) {
    opts.heads.forEach((k, h) => {
      const y = Math.floor(rand() * Math.max(2, k));
      labels[i * opts.heads.length + h] = i % 5 === 4 && h === 0 ? -1 : y;
      // make the label learnable: shift the image mean by the first head's class
      if (h === 0) for (let j = 0; j < size; j++) images[i * size + j] += y * 0.5;
    });
  }
  return {
    count: opts.n,
    async *epoch(e: number): AsyncIterable<Batch> {
      const order = Array.from({ length: opts.n }, (_, i) => i);
      let r = 7 + e * 31;
      for (let i = order.length - 1; i > 0; i--) {
        r = (r * 1103515245 + 12345) >>> 0;
        const j = r % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let b = 0; b < opts.n; b += opts.batchSize) {
        const idx = order.slice(b, b + opts.batchSize);
        const H = opts.heads.length;
        const img = new Float32Array(idx.length * size);
        const lab = new Int32Array(idx.length * H);
        idx.forEach((k, i) => {
          img.set(images.subarray(k * size, (k + 1) * size), i * size);
          lab.set(labels.subarray(k * H, (k + 1) * H), i * H);
        });
        yield { images: img, labels: lab, paths: idx.map(String), size: idx.length };
      }
    },
    async close() {},
  };
}
