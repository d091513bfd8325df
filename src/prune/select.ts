/**
 * Global channel selection for network slimming (Liu et al. 2017, §3.2): every candidate channel is
 * scored by |gamma| of its BatchNormalization; channels are pruned across all layers at once, either
 * the `ratio` fraction with the smallest scores or every channel below `threshold`. A floor keeps at
 * least `minChannels` (and `minFraction` of each layer) so no layer disappears.
 *
 * Group consistency (a grouped conv reads the channels, see GroupBlocks): within each constrained
 * part every block keeps k channels, k = the mean of what the global cut kept per block, rounded
 * (at least the blocks' `min`, 1 unless set), the strongest k of each block; the per-layer floor is then met by raising k.
 */
import { ConfigError } from '../errors.ts';
import type { GroupBlocks } from './groups.ts';

export interface SelectOptions {
  /** Fraction of all candidate channels to prune, 0 ≤ ratio < 1. Defaults to 0.3 (ignored when `threshold` is set). */
  ratio?: number;
  /** Prune every channel with |gamma| < threshold instead of a ratio. Defaults to undefined (use `ratio`). */
  threshold?: number;
  /** Channels each layer keeps at least. Defaults to 4. */
  minChannels?: number;
  /** Fraction of each layer's channels it keeps at least. Defaults to 0.1. */
  minFraction?: number;
}

export interface Selection {
  /** Indices of the kept channels per group, ascending. */
  keep: number[][];
  /** With `threshold`: that value. With `ratio`: |gamma| of the weakest channel that survived the global cut. */
  threshold: number;
}

/** Makes `kept` (ascending) group-consistent for `blocks`, keeping at least `floor` channels in all. */
export function equalizeBlocks(kept: number[], score: Float32Array, blocks: GroupBlocks[], floor: number): number[] {
  const keep = new Uint8Array(score.length);
  for (const c of kept) keep[c] = 1;
  const strongest = (from: number, size: number, k: number) =>
    Array.from({ length: size }, (_, i) => from + i)
      .sort((a, b) => Math.abs(score[b]!) - Math.abs(score[a]!) || a - b)
      .slice(0, k);
  const ks = blocks.map((b) => {
    let sum = 0;
    for (let g = 0; g < b.groups; g++) for (let i = 0; i < b.size; i++) sum += keep[b.start + g * b.size + i]!;
    return Math.min(b.size, Math.max(b.min ?? 1, Math.round(sum / b.groups)));
  });
  const inBlock = (c: number) => blocks.some((b) => c >= b.start && c < b.start + b.groups * b.size);
  const outside = kept.filter((c) => !inBlock(c)).length;
  const total = () => outside + blocks.reduce((n, b, j) => n + b.groups * ks[j]!, 0);
  // Raise the smallest k first until the floor holds.
  while (total() < floor) {
    let j = -1;
    ks.forEach((k, i) => k < blocks[i]!.size && (j < 0 || k < ks[j]!) && (j = i));
    if (j < 0) break;
    ks[j]!++;
  }
  blocks.forEach((b, j) => {
    for (let g = 0; g < b.groups; g++) {
      const from = b.start + g * b.size;
      for (let i = 0; i < b.size; i++) keep[from + i] = 0;
      for (const c of strongest(from, b.size, ks[j]!)) keep[c] = 1;
    }
  });
  return Array.from({ length: score.length }, (_, i) => i).filter((i) => keep[i] === 1);
}

/**
 * Chooses the channels to keep for each group from its |gamma| scores. `blocks[g]` (optional) are
 * the group-consistency constraints of group g.
 */
export function selectChannels(
  scores: Float32Array[],
  options: SelectOptions = {},
  blocks: Array<GroupBlocks[] | undefined> = [],
): Selection {
  const ratio = options.ratio ?? 0.3;
  const minChannels = options.minChannels ?? 4;
  const minFraction = options.minFraction ?? 0.1;
  if (!(ratio >= 0 && ratio < 1)) throw new ConfigError(`ratio must be in [0, 1), received ${ratio}`);
  if (!(Number.isInteger(minChannels) && minChannels >= 1))
    throw new ConfigError(`min_channels must be an integer ≥ 1, received ${minChannels}`);
  if (!(minFraction >= 0 && minFraction <= 1))
    throw new ConfigError(`min_fraction must be in [0, 1], received ${minFraction}`);

  const floorOf = (n: number) => Math.min(n, Math.max(minChannels, Math.ceil(minFraction * n)));
  const pruned = scores.map((s) => new Uint8Array(s.length));
  let threshold: number;
  if (options.threshold !== undefined) {
    threshold = options.threshold;
    scores.forEach((s, g) => s.forEach((v, c) => (pruned[g]![c] = Math.abs(v) < threshold ? 1 : 0)));
  } else {
    // Exactly floor(ratio·N) channels go, smallest |gamma| first. Ties (an untrained net has every
    // gamma = 1, where a cut "below the k-th value" would prune nothing) go from the end of each
    // layer in proportion to its width (highest c/n first), then by layer and channel order.
    const all: Array<[number, number, number, number]> = [];
    scores.forEach((s, g) => s.forEach((v, c) => all.push([Math.abs(v), (c + 1) / s.length, g, c])));
    all.sort((a, b) => a[0] - b[0] || b[1] - a[1] || a[2] - b[2] || a[3] - b[3]);
    const k = Math.floor(ratio * all.length);
    for (let i = 0; i < k; i++) pruned[all[i]![2]]![all[i]![3]] = 1;
    threshold = k === 0 ? -Infinity : k >= all.length ? Infinity : all[k]![0];
  }
  const keep = scores.map((s, g) => {
    const idx = Array.from({ length: s.length }, (_, i) => i);
    let kept = idx.filter((i) => pruned[g]![i] === 0);
    const floor = floorOf(s.length);
    if (kept.length < floor) {
      // Bring back the strongest pruned channels (ties: lower index first).
      const back = idx.filter((i) => pruned[g]![i] === 1).sort((a, b) => Math.abs(s[b]!) - Math.abs(s[a]!) || a - b);
      kept = [...kept, ...back.slice(0, floor - kept.length)].sort((a, b) => a - b);
    }
    const b = blocks[g];
    return b && b.length > 0 ? equalizeBlocks(kept, s, b, floor) : kept;
  });
  return { keep, threshold };
}
