/**
 * One rank of a data-parallel train stage whose ranks an executor placed as separate jobs (a gang
 * of BullMQ jobs on as many workers): this process joins the c10d process group as its rank, rank 0
 * serving the TCPStore on the address and port its worker published, and trains with it. Only
 * rank 0 writes the model folder and checkpoints; its outcome is the stage's.
 */
import { StageError } from '../../errors.ts';
import { distUnavailable, ProcessGroup } from '../../engine/distributed/process-group.ts';
import type { TrainOptions } from '../options.ts';
import type { TrainIO, TrainOutcome } from '../train.ts';
import { DEFAULT_TIMEOUT_S } from './options.ts';
import { rankThreads } from './train-ranks.ts';

/** This process's rank as the executor placed it (a stage's `ctx.member`). */
export interface RankMember {
  rank: number;
  size: number;
  /** The c10d TCPStore: rank 0 serves it on this port, every rank connects to it. */
  store: { host: string; port: number };
  /** This machine's address as the other ranks reach it (Gloo binds it). */
  host: string;
}

/** Joins the process group of `member` (rank 0 serves the store); blocks until every rank joined or `timeoutMs`. */
export function joinGroup(member: RankMember, timeoutMs: number): ProcessGroup {
  const group = new ProcessGroup({ rank: member.rank, size: member.size, timeoutMs });
  group.openStore(member.store.host, member.store.port);
  group.join(member.host);
  return group;
}

/** Trains as `member`'s rank; resolves with the outcome once every rank finished. */
export async function trainAsMember(p: TrainOptions, ctx: TrainIO, member: RankMember): Promise<TrainOutcome> {
  const why = distUnavailable();
  if (why)
    throw new StageError(ctx.id, `distributed: c10d cannot run here: ${why}`, {
      hint: 'run the workers from a checkout whose native addon is built (npm run build:native)',
    });
  if (member.size !== p.distributed!.ranks)
    throw new StageError(
      ctx.id,
      `distributed: placed as rank ${member.rank} of ${member.size}, but ranks is ${p.distributed!.ranks}`,
    );
  const timeoutS = p.distributed!.timeout_s ?? DEFAULT_TIMEOUT_S;
  const cpus = rankThreads(p, 1, ctx.cpus);
  ctx.log(
    `distributed: rank ${member.rank} of ${member.size} × ${cpus} thread${cpus > 1 ? 's' : ''}, c10d Gloo on ${member.host}, store ${member.store.host}:${member.store.port}, batch ${p.batch_size} split ${member.size} ways, timeout ${timeoutS}s`,
  );
  const group = joinGroup(member, timeoutS * 1000);
  try {
    const { train } = await import('../train.ts');
    const outcome = await train(p, { ...ctx, cpus, member: undefined, localRanks: 1 }, group);
    group.barrier();
    return outcome;
  } finally {
    group.shutdown();
  }
}
