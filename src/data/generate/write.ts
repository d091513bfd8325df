/** Writing generate-txt's outputs: train/val/test.txt, classes.json, counts.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { HeadSpec } from '../heads.ts';
import { SPLITS, type Counts, type SplitName } from './split.ts';
import type { LabelledItem } from './sources.ts';

/** A label-file line; paths with whitespace use the TAB form. */
export function formatLabelLine(path: string, labels: number[]): string {
  return /\s/.test(path) ? `${path}\t${labels.join(' ')}` : `${path} ${labels.join(' ')}`;
}

/**
 * Writes the split files into `outDir`, with image paths (relative to `root`) rewritten relative
 * to `finalDir` (where the files will live), so the default image root of every reader works.
 */
export async function writeSplits(
  outDir: string,
  finalDir: string,
  root: string,
  heads: HeadSpec[],
  splits: Record<SplitName, LabelledItem[]>,
  counts: Counts,
): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const s of SPLITS) {
    const lines = splits[s].map((it) => {
      const p = isAbsolute(it.path) ? it.path : relative(finalDir, resolve(root, it.path)).split('\\').join('/');
      return formatLabelLine(p, it.labels);
    });
    await writeFile(join(outDir, `${s}.txt`), lines.join('\n') + (lines.length ? '\n' : ''));
  }
  await writeFile(join(outDir, 'classes.json'), JSON.stringify({ heads }, null, 2) + '\n');
  await writeFile(join(outDir, 'counts.json'), JSON.stringify(counts, null, 2) + '\n');
}
