/**
 * The training loop's side of data-parallel training (`TrainLoopOptions.distributed`): this rank's
 * shard of each global batch, the gradient all-reduce, rank 0's weights at the start, and rank
 * 0's epoch-end decisions (validation logs, early stop) shared with the other ranks.
 *
 * Gradients: each rank's loss is the mean over its shard; the all-reduce sums scale_r · g_r with
 * scale_r = its rows / the global batch's rows, which is the gradient of the global batch's mean
 * loss (exactly, for equal or unequal shards) when the loss is a mean over images. Per-head masked
 * means (unknown labels, -1) are averaged per rank, as PyTorch DDP averages per-rank losses.
 *
 * Batch norm: per rank by default (PyTorch DDP). With `syncBatchNorm` each step runs under a batch
 * norm synchroniser (src/engine/distributed/batch-norm-sync.ts) whose weight is the same share, so
 * the layers' all-reduced statistics and input gradients make the 1-process gradient after the loop's
 * all-reduce (native/src/sync_norm.cc derives it); a rank whose shard is empty then still runs a
 * one-row stand-in (weight 0) so that it joins every batch norm's collectives.
 *
 * Overlap with backward: tfjs' tape (`tf.variableGrads`) returns all gradients at once, so the
 * buckets are all-reduced after the backward pass; inside the all-reduce, Gloo reduces one bucket
 * while the next is packed (native/src/dist.cc).
 */
import { tf } from '../../engine/tf.ts';
import type { Batch } from '../../data/loader/create-loader.ts';
import type { Logs } from '../callbacks/base.ts';
import type { GradientReducer } from '../step.ts';
import type { ProcessGroup } from '../../engine/distributed/process-group.ts';
import type { BatchNormSync } from '../../engine/distributed/batch-norm-sync.ts';
import { shardBatch } from './shard.ts';

/** What rank 0 decided at the end of an epoch. */
export interface EpochDecision {
  logs: Logs;
  stop: boolean;
}

export interface LoopDistribution {
  readonly rank: number;
  readonly ranks: number;
  /** This rank's rows of a global batch. */
  shard(batch: Batch): Batch;
  /** The reducer of a step whose global batch has `globalSize` rows and this rank's shard `shardSize`. */
  reducer(globalSize: number, shardSize: number): GradientReducer;
  /** The batch norm synchroniser of such a step (`sync_bn`), or undefined (per-rank statistics). */
  batchNormSync(globalSize: number, shardSize: number): BatchNormSync | undefined;
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
}

export function dataParallel(group: ProcessGroup, options: DataParallelOptions = {}): LoopDistribution {
  const key = (epoch: number) => `mlc/epoch/${epoch}`;
  return {
    rank: group.rank,
    ranks: group.size,
    shard: (batch) => shardBatch(batch, group.rank, group.size),
    reducer: (globalSize, shardSize) => (grads, values) => {
      const [v, ...g] = group.allreduceScaled([values, ...grads], globalSize ? shardSize / globalSize : 0);
      return { grads: g, values: v as tf.Tensor1D };
    },
    batchNormSync: (globalSize, shardSize) =>
      options.syncBatchNorm ? { weight: globalSize ? shardSize / globalSize : 0, contributes: shardSize > 0 } : undefined,
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
