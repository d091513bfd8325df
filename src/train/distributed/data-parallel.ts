/**
 * The training loop's side of data-parallel training (`TrainLoopOptions.distributed`): this rank's
 * shard of each global batch, the gradient all-reduce, rank 0's weights at the start, and rank
 * 0's epoch-end decisions (validation logs, early stop) shared with the other ranks.
 *
 * Gradients: each rank's loss is the mean over its shard; the all-reduce sums scale_r · g_r with
 * scale_r = its rows / the global batch's rows, which is the gradient of the global batch's mean
 * loss (exactly, for equal or unequal shards) when the loss is a mean over images. A head's loss is
 * a mean over its known labels (-1 = unknown): the shard carries per-head factors (./shard.ts,
 * maskedShares) that make the weighted sum the global batch's mean, where PyTorch DDP would average
 * per-rank means. GHM-C's density histogram stays per rank (a batch statistic, like batch norm's).
 *
 * Batch norm: per rank by default (PyTorch DDP). With `syncBatchNorm` each step runs under a batch
 * norm synchroniser (src/engine/distributed/batch-norm-sync.ts) whose weight is the same share, so
 * the layers' all-reduced statistics and input gradients make the 1-process gradient after the loop's
 * all-reduce (native/src/sync_norm.cc derives it); a rank whose shard is empty then still runs a
 * one-row stand-in (weight 0) so that it joins every batch norm's collectives.
 *
 * Overlap with backward (`overlap`, ./overlap.ts): tfjs' tape returns all gradients at once, but a
 * per-variable hook on the tape sees each one complete during the backward pass; each bucket's
 * all-reduce then starts as soon as its gradients are in, with the same buckets and sums as the
 * all-reduce after the tape (test/train/distributed/overlap.test.ts checks they are bit-identical).
 */
import { tf } from '../../engine/tf.ts';
import type { Batch } from '../../data/loader/create-loader.ts';
import type { Logs } from '../callbacks/base.ts';
import type { GradientReducer } from '../step.ts';
import type { ProcessGroup } from '../../engine/distributed/process-group.ts';
import type { BatchNormSync } from '../../engine/distributed/batch-norm-sync.ts';
import { BUCKET_BYTES } from '../../engine/distributed/process-group.ts';
import { overlappedReduction, type OverlapStats } from './overlap.ts';
import { shardBatch, type ShardBatch } from './shard.ts';

/** What rank 0 decided at the end of an epoch. */
export interface EpochDecision {
  logs: Logs;
  stop: boolean;
}

export interface LoopDistribution {
  readonly rank: number;
  readonly ranks: number;
  /** This rank's rows of a global batch. */
  shard(batch: Batch): ShardBatch;
  /** The reducer of a step whose global batch has `globalSize` rows and this rank's shard `shardSize`. */
  reducer(globalSize: number, shardSize: number): GradientReducer;
  /** The batch norm synchroniser of such a step (`sync_bn`), or undefined (per-rank statistics). */
  batchNormSync(globalSize: number, shardSize: number): BatchNormSync | undefined;
  /** What the overlapped gradient reductions did so far. */
  readonly overlapStats: OverlapStats;
  /** Makes every weight (trainable and statistics) rank 0's. */
  syncWeights(model: tf.LayersModel): void;
  /** Ranks > 0: rank 0's logs and stop decision of `epoch` (waits for them). Rank 0: undefined. */
  receiveEpoch(epoch: number): EpochDecision | undefined;
  /** Rank 0: shares its decision of `epoch` (after its callbacks ran). Others: nothing. */
  publishEpoch(epoch: number, decision: EpochDecision): void;
}

export interface DataParallelOptions {
  /** All-reduce batch norm statistics (the stage's `distributed.sync_bn`). Defaults to false. */
  syncBatchNorm?: boolean;
  /** Start the gradient buckets' all-reduce during the backward pass (./overlap.ts). Defaults to true. */
  overlap?: boolean;
  /** Gradient bucket size in bytes. Defaults to PyTorch DDP's 25 MiB. */
  bucketBytes?: number;
}

export function dataParallel(group: ProcessGroup, options: DataParallelOptions = {}): LoopDistribution {
  const key = (epoch: number) => `mlc/epoch/${epoch}`;
  const overlap = options.overlap ?? true;
  const bucketBytes = options.bucketBytes ?? BUCKET_BYTES;
  const overlapStats: OverlapStats = { steps: 0, early: 0 };
  return {
    rank: group.rank,
    ranks: group.size,
    shard: (batch) => shardBatch(batch, group.rank, group.size),
    overlapStats,
    reducer: (globalSize, shardSize) => {
      const scale = globalSize ? shardSize / globalSize : 0;
      const reduce: GradientReducer = (grads, values) => {
        const [v, ...g] = group.allreduceScaled([values, ...grads], scale, bucketBytes);
        return { grads: g, values: v as tf.Tensor1D };
      };
      if (overlap && group.overlapAvailable)
        reduce.overlapped = (sizes) => overlappedReduction(group, scale, sizes, bucketBytes, overlapStats);
      return reduce;
    },
    batchNormSync: (globalSize, shardSize) =>
      options.syncBatchNorm
        ? { weight: globalSize ? shardSize / globalSize : 0, contributes: shardSize > 0 }
        : undefined,
    syncWeights(model) {
      const weights = model.weights;
      const values = group.broadcast(weights.map((w) => w.read()));
      weights.forEach((w, i) => w.write(values[i]!));
      tf.dispose(values);
    },
    receiveEpoch(epoch) {
      return group.rank === 0 ? undefined : (JSON.parse(group.receive(key(epoch))) as EpochDecision);
    },
    publishEpoch(epoch, decision) {
      if (group.rank === 0) group.publish(key(epoch), JSON.stringify(decision));
    },
  };
}
