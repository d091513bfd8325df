/**
 * One rank of a data-parallel train stage: rebuilds the stage's IO from the launcher's payload and
 * runs `train` with this rank's process group. Only rank 0 writes the model folder and
 * checkpoints; its outcome is the stage's.
 */
import { join, posix, resolve } from 'node:path';
import type { TrainOptions } from '../options.ts';
import type { TrainIO } from '../train.ts';
import type { RankEntry } from './rank-main.ts';

export interface TrainRankPayload {
  params: TrainOptions;
  /** The stage's working folder (relative paths in the params). */
  cwd: string;
  /** The model folder as declared, and where the stage writes it. */
  out: { declared: string; path: string };
  /** The run key checkpoints record (the stage's, computed once by the launcher). */
  runKey: string;
  id: string;
  /** Threads of this rank's engine. */
  cpus: number;
  /** Rank processes on this machine (all of them: the local launcher starts every rank). */
  localRanks: number;
}

function outPath(out: TrainRankPayload['out'], declared: string): string {
  const norm = posix.normalize(declared.replace(/\\/g, '/')).replace(/\/$/, '');
  const root = posix.normalize(out.declared).replace(/\/$/, '');
  if (norm === root) return out.path;
  if (norm.startsWith(`${root}/`)) return join(out.path, norm.slice(root.length + 1));
  throw new Error(`ctx.out("${declared}"): not the train stage's output ${out.declared}`);
}

export const runRank: RankEntry = async (payload, env) => {
  const job = payload as TrainRankPayload;
  const ctx: TrainIO = {
    id: job.id,
    path: (rel) => resolve(job.cwd, rel),
    out: (declared) => outPath(job.out, declared),
    log: env.log,
    progress: env.progress,
    signal: new AbortController().signal,
    cpus: job.cpus,
    localRanks: job.localRanks,
    runKey: () => job.runKey,
  };
  const { train } = await import('../train.ts');
  return train(job.params, ctx, env.group);
};
