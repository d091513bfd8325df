/**
 * The batch norm synchroniser of one data-parallel training step (`sync_bn`): the training loop
 * sets it around a step (like the training flag), and batch norm layers in training mode that find
 * one normalise with the statistics of all ranks (../ops/sync-batch-norm/) instead of their own
 * rank's. No synchroniser (the default, one process, or `sync_bn: false`): per-rank statistics.
 */

export interface BatchNormSync {
  /** This rank's share of the global batch's rows (its gradient's weight in the loop's all-reduce). */
  readonly weight: number;
  /**
   * False when this rank's rows are a stand-in: its shard of the global batch is empty, yet it must
   * join every rank's collectives, so it runs one row that adds nothing to the statistics.
   */
  readonly contributes: boolean;
}

let active: BatchNormSync | undefined;

/** The synchroniser of the step running now, if any. */
export function batchNormSync(): BatchNormSync | undefined {
  return active;
}

/** Runs `step` with `sync` as the synchroniser (none when undefined); restores the previous one after. */
export function withBatchNormSync<T>(sync: BatchNormSync | undefined, step: () => T): T {
  const previous = active;
  active = sync;
  try {
    return step();
  } finally {
    active = previous;
  }
}
