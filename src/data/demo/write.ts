/** Shared writer for demo datasets: JPEG encoding through a bounded pool, split label files, classes.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { HeadSpec } from '../../model/heads.ts';

export type Split = 'train' | 'val' | 'test';

export interface DemoImage {
  /** Path relative to the dataset folder, e.g. `images/000012.jpg`. */
  path: string;
  rgb: Uint8Array;
  width: number;
  height: number;
  labels: number[];
  split: Split;
}

export interface DemoSummary {
  out: string;
  counts: Record<Split, number>;
  heads: HeadSpec[];
}

/** Writes `count` images produced by `make(i)` plus train/val/test.txt and classes.json into `out`. */
export async function writeDemo(
  out: string,
  count: number,
  heads: HeadSpec[],
  make: (i: number) => DemoImage,
  concurrency = 8,
): Promise<DemoSummary> {
  await mkdir(join(out, 'images'), { recursive: true });
  const lines: Record<Split, string[]> = { train: [], val: [], test: [] };
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const img = make(i);
    lines[img.split].push(`${img.path} ${img.labels.join(' ')}`);
    const p = sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(join(out, img.path))
      .then(() => undefined);
    inflight.push(p);
    if (inflight.length >= concurrency) await inflight.shift();
  }
  await Promise.all(inflight);
  for (const split of ['train', 'val', 'test'] as const) {
    await writeFile(join(out, `${split}.txt`), lines[split].join('\n') + (lines[split].length ? '\n' : ''));
  }
  await writeFile(join(out, 'classes.json'), JSON.stringify({ heads }, null, 2) + '\n');
  return { out, heads, counts: { train: lines.train.length, val: lines.val.length, test: lines.test.length } };
}

/** Deterministic split of item i: the first fraction of a seeded permutation is val, the next test. */
export function splitOf(rank: number, n: number, valFraction: number, testFraction: number): Split {
  const nVal = Math.round(n * valFraction);
  const nTest = Math.round(n * testFraction);
  return rank < nVal ? 'val' : rank < nVal + nTest ? 'test' : 'train';
}
