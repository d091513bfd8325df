/**
 * The train stage's side of `distributed: { ranks: N }`: launches N rank processes
 * (./launch.ts), each of which runs `train` with its process group (./train-rank.ts), and returns
 * rank 0's outcome. `threads` is per rank (0: this stage's CPU slots shared out among the ranks).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { StageError } from '../../errors.ts';
import type { TrainOptions } from '../options.ts';
import type { TrainIO, TrainOutcome } from '../train.ts';
import { launchRanks, RankFailure } from './launch.ts';
import { DEFAULT_TIMEOUT_S } from './options.ts';
import { distUnavailable } from '../../engine/distributed/process-group.ts';
import type { TrainRankPayload } from './train-rank.ts';

/** Threads each rank's engine gets: `threads`, else this stage's CPU slots divided among the ranks. */
export function rankThreads(p: Pick<TrainOptions, 'threads'>, ranks: number, cpus: number | undefined): number {
  return p.threads > 0 ? p.threads : Math.max(1, Math.floor((cpus ?? availableParallelism()) / ranks));
}

export async function trainOnRanks(p: TrainOptions, ctx: TrainIO, runKey: string): Promise<TrainOutcome> {
  const d = p.distributed!;
  const why = distUnavailable();
  if (why)
    throw new StageError(ctx.id, `distributed: c10d cannot run here: ${why}`, {
      refused: true,
      hint: 'drop distributed to train in one process',
    });
  const timeoutS = d.timeout_s ?? DEFAULT_TIMEOUT_S;
  const cpus = rankThreads(p, d.ranks, ctx.cpus);
  ctx.log(
    `distributed: ${d.ranks} ranks × ${cpus} thread${cpus > 1 ? 's' : ''}, c10d Gloo on loopback, batch ${p.batch_size} split ${d.ranks} ways, timeout ${timeoutS}s`,
  );
  const payload: TrainRankPayload = {
    params: p,
    cwd: ctx.path('.'),
    out: { declared: p.out, path: ctx.out(p.out) },
    runKey,
    id: ctx.id,
    cpus,
    localRanks: d.ranks,
  };
  try {
    return (await launchRanks({
      ranks: d.ranks,
      entry: fileURLToPath(new URL('./train-rank.ts', import.meta.url)),
      payload,
      timeoutMs: timeoutS * 1000,
      log: (line) => ctx.log(line),
      progress: (m) => ctx.progress(m),
      signal: ctx.signal,
    })) as TrainOutcome;
  } catch (err) {
    if (!(err instanceof RankFailure)) throw err;
    throw new StageError(ctx.id, `distributed training failed: ${err.message}`, {
      refused: err.refused,
      cause: err,
      hint: err.refused
        ? undefined
        : 'with resume: auto and a checkpoint_dir, a rerun continues from the last checkpoint',
    });
  }
}
