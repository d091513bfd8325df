/**
 * Hosts a `cmd:` stage: runs the command through execa with the params in the environment.
 */
import { StageError } from '../errors.ts';
import type { StageResult } from '../stage/define.ts';
import type { CmdStageJob, StageIO } from './job.ts';
import { lineSplitter } from './lines.ts';
import { killGroup, stopGroup, trackGroup } from './process-group.ts';

/** The environment a cmd stage sees: `env`, MLC_STAGE_ID, MLC_PARAMS and one MLC_PARAM_<NAME> per param. */
export function cmdEnvironment(job: Pick<CmdStageJob, 'id' | 'env' | 'params'>): Record<string, string> {
  const env: Record<string, string> = { ...job.env, MLC_STAGE_ID: job.id, MLC_PARAMS: JSON.stringify(job.params) };
  for (const [k, v] of Object.entries(job.params)) {
    env[`MLC_PARAM_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return env;
}

/** Runs the command in `job.cwd`; resolves when it exits 0, else rejects with a StageError. */
export async function runCmdStage(job: CmdStageJob, io: StageIO, killGraceMs: number): Promise<StageResult> {
  const { execa, parseCommandString } = await import('execa');
  const argv = Array.isArray(job.cmd) ? job.cmd : job.shell ? [job.cmd] : parseCommandString(job.cmd);
  io.log(`$ ${argv.join(' ')}`);
  // Its own process group (detached): a timeout or a stop ends everything the command started.
  const sub = execa(argv[0]!, argv.slice(1), {
    cwd: job.cwd,
    shell: job.shell,
    env: cmdEnvironment(job),
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  const pid = sub.pid;
  const untrack = pid !== undefined ? trackGroup(pid) : () => {};
  let stopped: 'timeout' | 'cancel' | undefined;
  let cancelKill = () => {};
  const stop = (why: 'timeout' | 'cancel') => {
    if (stopped || pid === undefined) return;
    stopped = why;
    if (why === 'timeout') io.log(`# timed out after ${job.timeout}s: stopping its process group`);
    cancelKill = stopGroup(pid, killGraceMs);
  };
  const timer = job.timeout !== undefined ? setTimeout(() => stop('timeout'), job.timeout * 1000) : undefined;
  const onAbort = () => stop('cancel');
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });
  const out = lineSplitter(io.log);
  const err = lineSplitter(io.log);
  sub.stdout?.on('data', (c: Buffer) => out.push(c));
  sub.stderr?.on('data', (c: Buffer) => err.push(c));
  let r: Awaited<typeof sub>;
  try {
    r = await sub;
  } finally {
    if (timer) clearTimeout(timer);
    io.signal.removeEventListener('abort', onAbort);
    // Stopped: whatever of the group outlived its leader goes now, not after the grace period.
    if (stopped && pid !== undefined) {
      cancelKill();
      killGroup(pid, 'SIGKILL');
    }
    untrack();
  }
  out.end();
  err.end();
  if (!r.failed && !stopped) return {};
  const why =
    stopped === 'timeout'
      ? `timed out after ${job.timeout}s`
      : stopped === 'cancel'
        ? 'stopped (interrupted)'
        : r.exitCode !== undefined
          ? `command exited with code ${r.exitCode}`
          : r.signal
            ? `command ended on ${r.signal}`
            : `command failed: ${r.shortMessage}`;
  throw new StageError(job.id, `${why}: ${argv.join(' ')}`, {
    cause: r,
    hint: stopped === 'timeout' ? "raise the stage's `timeout`, or make it faster" : 'see the stage log for its output',
  });
}
