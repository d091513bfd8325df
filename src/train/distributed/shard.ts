/**
 * Each rank's part of a global batch. Every rank reads the same global batches (same seed, so the
 * same order and augmentation as one process) and keeps rows [⌊r·b/N⌋, ⌊(r+1)·b/N⌋): the shards
 * are disjoint, cover the batch, and differ in size by at most one row.
 */
import type { Batch } from '../../data/loader/create-loader.ts';
import type { HeadScales } from '../losses/multihead.ts';

/** Rows [start, end) of a batch of `size` rows that rank `rank` of `ranks` trains on. */
export function shardRange(size: number, rank: number, ranks: number): [number, number] {
  return [Math.floor((rank * size) / ranks), Math.floor(((rank + 1) * size) / ranks)];
}

/** A rank's rows of a global batch, with its masked-loss factors where some are not 1. */
export type ShardBatch = Batch & { headScales?: HeadScales };

/** Rank `rank`'s rows of `batch` (views, no copy). */
export function shardBatch(batch: Batch, rank: number, ranks: number): ShardBatch {
  const [start, end] = shardRange(batch.size, rank, ranks);
  const per = batch.size ? batch.images.length / batch.size : 0;
  const heads = batch.size ? batch.labels.length / batch.size : 0;
  const rows = <T extends Float32Array | Int32Array>(a: T, width: number) =>
    a.subarray(start * width, end * width) as T;
  const labels = rows(batch.labels, heads);
  const mixLabels = batch.mix && rows(batch.mix.labels, heads);
  const shares = heads ? maskedShares(batch.labels, labels, heads) : undefined;
  const mixShares = batch.mix && heads ? maskedShares(batch.mix.labels, mixLabels!, heads) : undefined;
  return {
    images: rows(batch.images, per),
    labels,
    paths: batch.paths.slice(start, end),
    size: end - start,
    ...(batch.mix ? { mix: { ...batch.mix, lambda: rows(batch.mix.lambda, 1), labels: mixLabels! } } : {}),
    ...(shares || mixShares ? { headScales: { labels: shares, mix: mixShares } } : {}),
  };
}

/**
 * Per-head factors for this rank's masked losses (-1 = unknown label), or undefined where all are 1.
 *
 * A head's loss is a mean over its known labels: S_r / max(1, n_r) on rank r, where one process
 * computes ΣS_r / max(1, N) over the global batch (N = Σ n_r). The all-reduce weighs rank r's
 * gradients (and logged values) by its share s/G of the global batch's G rows, so multiplying its
 * head loss by max(1, n_r)·G / (s·max(1, N)) makes the sum exactly the global mean: the same
 * gradient as one process, however the unknown labels fall between the shards. With every label
 * known (n_r = s, N = G) the factor is exactly 1. PyTorch DDP averages per-rank means instead.
 */
export function maskedShares(global: Int32Array, shard: Int32Array, heads: number): number[] | undefined {
  const known = (labels: Int32Array) => {
    const n = new Array<number>(heads).fill(0);
    for (let i = 0; i < labels.length; i++) if (labels[i]! >= 0) n[i % heads]!++;
    return n;
  };
  const [G, s] = [global.length / heads, shard.length / heads];
  if (s === 0) return undefined;
  const [N, n] = [known(global), known(shard)];
  const f = n.map((nh, h) => (Math.max(1, nh) * G) / (s * Math.max(1, N[h]!)));
  return f.every((v) => v === 1) ? undefined : f;
}
