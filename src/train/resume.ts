/**
 * Where a training run starts: its run key (what a checkpoint records) and the checkpoint
 * `resume` names, decided once (by rank 0 when there are several ranks, ./distributed/).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointRunKey } from './checkpoint.ts';
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import type { ProcessGroup } from '../engine/distributed/process-group.ts';
import { stableStringify } from '../stable-json.ts';

/** Options left out of the run key a checkpoint records: a crashed run resumes after `resume: auto` is set. */
const RESUME_NEUTRAL: readonly string[] = ['resume', 'out'];

/** A stand-in run key when no runner gave one: the hash of the options (sorted keys). */
function optionsKey(p: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(p)).digest('hex');
}

/**
 * `resume: auto`: `<dir>/last` when it was written by this very run (same run key), so a crashed
 * run continues. A checkpoint of another run (params, code or data changed since) is never resumed:
 * the whole folder moves aside to `<dir>.stale-<its key>` and training starts fresh, said in one line.
 */
async function resumableCheckpoint(dir: string, runKey: string, log: (m: string) => void): Promise<string | undefined> {
  const last = join(dir, 'last');
  if (!existsSync(join(last, 'state.json'))) return undefined;
  const written = await checkpointRunKey(last);
  if (written === runKey) return last;
  const aside = `${dir}.stale-${(written ?? 'unkeyed').slice(0, 12)}`;
  await rm(aside, { recursive: true, force: true });
  await rename(dir, aside);
  log(
    `resume: auto: ${last} was written by another run (${written ? 'params, code or data changed' : 'it records no run key'}); starting fresh, the old checkpoints are kept in ${aside}`,
  );
  return undefined;
}

/** The run's identity a checkpoint records (see TrainIO.runKey), less how it starts and where it writes. */
export function runKeyOf(p: TrainOptions, ctx: TrainIO): string {
  return (
    ctx.runKey?.(RESUME_NEUTRAL) ??
    optionsKey(Object.fromEntries(Object.entries(p).filter(([k]) => !RESUME_NEUTRAL.includes(k))))
  );
}

/** The checkpoint to resume from (`resume`), decided once: by rank 0 when there are several ranks. */
export async function resumePoint(
  p: TrainOptions,
  ctx: TrainIO,
  ckptDir: string,
  runKey: string,
  group?: ProcessGroup,
): Promise<string | undefined> {
  if (group && group.rank > 0) return group.receive('mlc/resume') || undefined;
  let resumeFrom: string | undefined;
  if (p.resume === 'auto') resumeFrom = await resumableCheckpoint(ckptDir, runKey, (m) => ctx.log(m));
  else if (p.resume) {
    resumeFrom = ctx.path(p.resume);
    const written = await checkpointRunKey(resumeFrom);
    if (written !== runKey)
      ctx.log(
        `note: ${p.resume} was written by a run with other params, code or data (resuming it anyway: resume names it explicitly)`,
      );
  }
  if (resumeFrom) ctx.log(`resuming from ${resumeFrom}`);
  group?.publish('mlc/resume', resumeFrom ?? '');
  return resumeFrom;
}
