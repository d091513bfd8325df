/** Shared writer for demo datasets: JPEG encoding through a bounded pool, split label files, classes.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { HeadSpec } from '../heads.ts';

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

/**
 * A CSV manifest of every image, the kind of file a real dataset comes with (for generate-txt's
 * `manifest` source): `path`, one column per categorical head holding the class name (empty =
 * unknown), and for binary heads a `tags` column listing the heads that are on, `;`-separated.
 */
export function manifestCsv(heads: HeadSpec[], images: { path: string; labels: number[] }[]): string {
  const softmax = heads.map((h, k) => ({ h, k })).filter(({ h }) => h.classes.length > 1);
  const binary = heads.map((h, k) => ({ h, k })).filter(({ h }) => h.classes.length === 1);
  const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const header = ['path', ...softmax.map(({ h }) => h.name), ...(binary.length ? ['tags'] : [])];
  const rows = images.map((img) => [
    img.path,
    ...softmax.map(({ h, k }) => (img.labels[k]! >= 0 ? h.classes[img.labels[k]!]! : '')),
    ...(binary.length
      ? [
          binary
            .filter(({ k }) => img.labels[k] === 1)
            .map(({ h }) => h.name)
            .join(';'),
        ]
      : []),
  ]);
  return [header, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}

/** Writes `count` images produced by `make(i)` plus train/val/test.txt, classes.json and manifest.csv into `out`. */
export async function writeDemo(
  out: string,
  count: number,
  heads: HeadSpec[],
  make: (i: number) => DemoImage,
  concurrency = 8,
): Promise<DemoSummary> {
  await mkdir(join(out, 'images'), { recursive: true });
  const lines: Record<Split, string[]> = { train: [], val: [], test: [] };
  const all: { path: string; labels: number[] }[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const img = make(i);
    lines[img.split].push(`${img.path} ${img.labels.join(' ')}`);
    all.push({ path: img.path, labels: img.labels });
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
  await writeFile(join(out, 'manifest.csv'), manifestCsv(heads, all));
  return { out, heads, counts: { train: lines.train.length, val: lines.val.length, test: lines.test.length } };
}

/** Deterministic split of item i: the first fraction of a seeded permutation is val, the next test. */
export function splitOf(rank: number, n: number, valFraction: number, testFraction: number): Split {
  const nVal = Math.round(n * valFraction);
  const nTest = Math.round(n * testFraction);
  return rank < nVal ? 'val' : rank < nVal + nTest ? 'test' : 'train';
}
