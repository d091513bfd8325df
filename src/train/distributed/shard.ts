/**
 * Each rank's part of a global batch. Every rank reads the same global batches (same seed, so the
 * same order and augmentation as one process) and keeps rows [⌊r·b/N⌋, ⌊(r+1)·b/N⌋): the shards
 * are disjoint, cover the batch, and differ in size by at most one row.
 */
import type { Batch } from '../../data/loader/create-loader.ts';

/** Rows [start, end) of a batch of `size` rows that rank `rank` of `ranks` trains on. */
export function shardRange(size: number, rank: number, ranks: number): [number, number] {
  return [Math.floor((rank * size) / ranks), Math.floor(((rank + 1) * size) / ranks)];
}

/** Rank `rank`'s rows of `batch` (views, no copy). */
export function shardBatch(batch: Batch, rank: number, ranks: number): Batch {
  const [start, end] = shardRange(batch.size, rank, ranks);
  const per = batch.size ? batch.images.length / batch.size : 0;
  const heads = batch.size ? batch.labels.length / batch.size : 0;
  const rows = <T extends Float32Array | Int32Array>(a: T, width: number) =>
    a.subarray(start * width, end * width) as T;
  return {
    images: rows(batch.images, per),
    labels: rows(batch.labels, heads),
    paths: batch.paths.slice(start, end),
    size: end - start,
    ...(batch.mix
      ? { mix: { ...batch.mix, lambda: rows(batch.mix.lambda, 1), labels: rows(batch.mix.labels, heads) } }
      : {}),
  };
}
