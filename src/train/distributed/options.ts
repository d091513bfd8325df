/**
 * The train stage's `distributed` param: data-parallel training over N rank processes on PyTorch's
 * c10d (./README in the project README, "Data-parallel training"). Cheap to import (no tf).
 *
 * Cache key: `ranks` and `sync_bn` change what is trained (the all-reduce sums in another order, at
 * float tolerance; batch norm statistics are per rank unless `sync_bn`), so they are in the key;
 * `timeout_s` and `gang_timeout_s` only bound how long a failure takes to surface, and `overlap` only
 * when each bucket's all-reduce starts (the sums are bit for bit the same), so they are cache-neutral
 * (in the stage's `cacheNeutral`).
 */
import { availableParallelism } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';

/** Default c10d timeout: how long a collective or the rendezvous waits for a missing rank. */
export const DEFAULT_TIMEOUT_S = 300;
/** Default gang timeout: how long the ranks' jobs may wait for workers (executor bullmq). */
export const DEFAULT_GANG_TIMEOUT_S = 300;

export const distributedSchema = Type.Object(
  {
    ranks: Type.Integer({
      minimum: 1,
      description:
        'Rank processes; each trains on its shard of every global batch (batch_size stays the global batch). 1 = one process. Defaults to 1.',
      default: 1,
    }),
    sync_bn: Type.Boolean({
      description:
        "All-reduce the batch statistics of batch normalization across ranks (PyTorch SyncBatchNorm): in training each batch norm layer normalises with the global batch's mean and variance and its gradient is the global batch's, so a model with batch norm trains as in one process. false: statistics per rank, as in PyTorch DDP. Defaults to false.",
      default: false,
    }),
    overlap: Type.Union([Type.Literal('auto'), Type.Literal(true), Type.Literal(false)], {
      description:
        "Start each gradient bucket's all-reduce during the backward pass (true, as PyTorch DDP does) or after it (false); the weights are bit for bit the same either way. auto: overlap only where each rank's Gloo thread has a core of its own (ranks on this machine × (threads + 1) ≤ its cores); where the ranks fill every core, Gloo's thread slows the backward pass more than the overlap saves. Cache-neutral. Defaults to auto.",
      default: 'auto',
    }),
    timeout_s: Type.Number({
      exclusiveMinimum: 0,
      description: `Seconds the rendezvous and each collective wait for a missing rank before the stage fails (c10d's timeout). Cache-neutral. Defaults to ${DEFAULT_TIMEOUT_S}.`,
      default: DEFAULT_TIMEOUT_S,
    }),
    gang_timeout_s: Type.Number({
      exclusiveMinimum: 0,
      description: `With --executor bullmq (one job per rank, each on its own worker): seconds until every rank's job is taken by a worker, else the stage fails and the jobs are withdrawn. Cache-neutral. Defaults to ${DEFAULT_GANG_TIMEOUT_S}.`,
      default: DEFAULT_GANG_TIMEOUT_S,
    }),
  },
  {
    additionalProperties: false,
    description:
      'Data-parallel training on c10d (Gloo on CPU): { ranks: N, sync_bn?, overlap?, timeout_s?, gang_timeout_s? }. Needs engine: native; threads is per rank and the stage asks the scheduler for ranks × threads CPU slots. Defaults to none (one process).',
  },
);

export type DistributedOptions = Static<typeof distributedSchema>;

/** Rank processes the options ask for (1 when `distributed` is absent). */
export function rankCount(p: { distributed?: { ranks: number } | undefined }): number {
  return p.distributed?.ranks ?? 1;
}

/** Whether the gradient all-reduce overlaps the backward pass, and why (for the stage log). */
export interface OverlapChoice {
  overlap: boolean;
  why: string;
}

/**
 * Resolves `overlap` for a rank with `threads` engine threads, one of `localRanks` rank processes on
 * this machine of `cores` cores. `auto` overlaps when each rank's c10d (Gloo) thread has a core of
 * its own: measured on a 2-core machine with 2 ranks × 1 thread (bench/dist/dist.ts --overlap-rounds),
 * overlapping made a ResNet-18 step ~15 % slower, since Gloo's thread copies and sums 45 MB on the
 * cores the backward pass runs on; across machines or with spare cores it hides the all-reduce.
 */
export function resolveOverlap(
  setting: boolean | 'auto' | undefined,
  localRanks: number,
  threads: number,
  cores = availableParallelism(),
): OverlapChoice {
  if (setting === true || setting === false) return { overlap: setting, why: `overlap: ${setting}` };
  const need = localRanks * (threads + 1);
  return need <= cores
    ? { overlap: true, why: `overlap: auto, ${localRanks} rank(s) × (${threads} + Gloo's thread) ≤ ${cores} cores` }
    : {
        overlap: false,
        why: `overlap: auto, ${localRanks} rank(s) × (${threads} + Gloo's thread) > ${cores} cores: Gloo would compete with the backward pass`,
      };
}

/**
 * JSON Schema clauses, refused at validation, at file:line (exit 2), before anything runs:
 * `distributed.ranks` > 1 needs `engine: native` (only the libtorch addon has c10d; `sync_bn`
 * included, whose collectives are the addon's batch norm kernels).
 */
export function distributedNeedsNative(): object {
  const hint = 'data-parallel training runs on the libtorch addon: set engine: native (or drop distributed)';
  return {
    if: {
      properties: { distributed: { properties: { ranks: { minimum: 2 } }, required: ['ranks'] } },
      required: ['distributed'],
    },
    then: {
      required: ['engine'],
      'x-hint': hint,
      properties: { engine: { const: 'native', 'x-hint': hint } },
    },
  };
}
