/**
 * Seeded stratified train/val/test split and per-head class counts.
 *
 * Items are grouped by the label of the `stratify` head (-1 is a group of its own); each group is
 * shuffled with the seed and cut into val, test, train by rounding `n·valFraction` and
 * `n·testFraction`, so every class keeps its share in every split. Groups are processed in label
 * order and the final split lists are shuffled, so file order carries no class information.
 */
import type { HeadSpec } from '../heads.ts';
import { createRng, mixSeed, shuffleInPlace } from '../rng.ts';
import type { LabelledItem } from './sources.ts';

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

export interface SplitOptions {
  valFraction: number;
  testFraction: number;
  seed: number;
  /** Head index to stratify on. Defaults to 0. */
  stratify?: number;
}

export function stratifiedSplit(items: LabelledItem[], opts: SplitOptions): Record<SplitName, LabelledItem[]> {
  const head = opts.stratify ?? 0;
  const groups = new Map<number, LabelledItem[]>();
  for (const it of items) {
    const key = it.labels[head] ?? -1;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(it);
  }
  const out: Record<SplitName, LabelledItem[]> = { train: [], val: [], test: [] };
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = shuffleInPlace([...groups.get(key)!], createRng(mixSeed(opts.seed, key, 0x5917)));
    const nVal = Math.round(g.length * opts.valFraction);
    const nTest = Math.round(g.length * opts.testFraction);
    out.val.push(...g.slice(0, nVal));
    out.test.push(...g.slice(nVal, nVal + nTest));
    out.train.push(...g.slice(nVal + nTest));
  }
  SPLITS.forEach((s, i) => shuffleInPlace(out[s], createRng(mixSeed(opts.seed, 0x517, i))));
  return out;
}

export interface HeadCounts {
  name: string;
  /** class name → images per split. */
  classes: Record<string, Record<SplitName, number>>;
  /** Images with -1 for this head, per split. */
  unknown: Record<SplitName, number>;
}

export interface Counts {
  splits: Record<SplitName, number>;
  heads: HeadCounts[];
  skipped: number;
}

export function countLabels(heads: HeadSpec[], splits: Record<SplitName, LabelledItem[]>, skipped: number): Counts {
  const zero = (): Record<SplitName, number> => ({ train: 0, val: 0, test: 0 });
  const perHead: HeadCounts[] = heads.map((h) => ({
    name: h.name,
    classes: Object.fromEntries(h.classes.map((c) => [c, zero()])),
    unknown: zero(),
  }));
  for (const s of SPLITS) {
    for (const it of splits[s]) {
      it.labels.forEach((v, k) => {
        const hc = perHead[k]!;
        const h = heads[k]!;
        if (v < 0) hc.unknown[s]++;
        else if (h.classes.length === 1) {
          if (v === 1) hc.classes[h.classes[0]!]![s]++;
        } else hc.classes[h.classes[v]!]![s]++;
      });
    }
  }
  return {
    splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
    heads: perHead,
    skipped,
  };
}

/** One log line per head: `digit0: 0 120/15/15, 1 98/12/12, … (unknown 3/0/1)` (train/val/test). */
export function formatCounts(c: Counts): string[] {
  return c.heads.map((h) => {
    const parts = Object.entries(h.classes).map(([k, v]) => `${k} ${v.train}/${v.val}/${v.test}`);
    const u = h.unknown;
    return `${h.name}: ${parts.join(', ')}${u.train + u.val + u.test ? ` (unknown ${u.train}/${u.val}/${u.test})` : ''}`;
  });
}
