/**
 * Global channel selection for network slimming (Liu et al. 2017, §3.2): every candidate channel is
 * scored by |gamma| of its BatchNormalization; channels are pruned across all layers at once, either
 * the `ratio` fraction with the smallest scores or every channel below `threshold`. A floor keeps at
 * least `minChannels` (and `minFraction` of each layer) so no layer disappears.
 */
import { ConfigError } from '../errors.ts';

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
  /** The |gamma| cut actually used (channels below it were pruned before the per-layer floor). */
  threshold: number;
}

/** Chooses the channels to keep for each group from its |gamma| scores. */
export function selectChannels(scores: Float32Array[], options: SelectOptions = {}): Selection {
  const ratio = options.ratio ?? 0.3;
  const minChannels = options.minChannels ?? 4;
  const minFraction = options.minFraction ?? 0.1;
  if (!(ratio >= 0 && ratio < 1)) throw new ConfigError(`ratio must be in [0, 1), received ${ratio}`);
  if (!(Number.isInteger(minChannels) && minChannels >= 1)) throw new ConfigError(`min_channels must be an integer ≥ 1, received ${minChannels}`);
  if (!(minFraction >= 0 && minFraction <= 1)) throw new ConfigError(`min_fraction must be in [0, 1], received ${minFraction}`);

  let threshold: number;
  if (options.threshold !== undefined) {
    threshold = options.threshold;
  } else {
    const all = scores.flatMap((s) => Array.from(s, Math.abs)).sort((a, b) => a - b);
    const k = Math.floor(ratio * all.length);
    // The k-th smallest score is the first one kept; every score strictly below it goes.
    threshold = k === 0 ? -Infinity : k >= all.length ? Infinity : all[k]!;
    // Ties at the cut: keep them all (pruning fewer than asked rather than an arbitrary subset).
  }
  const keep = scores.map((s) => {
    const n = s.length;
    const floor = Math.min(n, Math.max(minChannels, Math.ceil(minFraction * n)));
    const idx = Array.from({ length: n }, (_, i) => i);
    let kept = idx.filter((i) => Math.abs(s[i]!) >= threshold);
    if (kept.length < floor) {
      kept = idx.sort((a, b) => Math.abs(s[b]!) - Math.abs(s[a]!) || a - b).slice(0, floor).sort((a, b) => a - b);
    }
    return kept;
  });
  return { keep, threshold };
}
