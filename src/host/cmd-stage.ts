/**
 * Hosts a `cmd:` stage: runs the command through execa with the params in the environment.
 */
import { StageError } from '../errors.ts';
import type { StageResult } from '../stage/define.ts';
import type { CmdStageJob, StageIO } from './job.ts';
import { lineSplitter } from './lines.ts';

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
  const sub = execa(argv[0]!, argv.slice(1), {
    cwd: job.cwd,
    shell: job.shell,
    env: cmdEnvironment(job),
    timeout: job.timeout !== undefined ? job.timeout * 1000 : undefined,
    cancelSignal: io.signal,
    forceKillAfterDelay: killGraceMs,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  const out = lineSplitter(io.log);
  const err = lineSplitter(io.log);
  sub.stdout?.on('data', (c: Buffer) => out.push(c));
  sub.stderr?.on('data', (c: Buffer) => err.push(c));
  const r = await sub;
  out.end();
  err.end();
  if (!r.failed) return {};
  const why = r.timedOut
    ? `timed out after ${job.timeout}s`
    : r.isCanceled
      ? 'stopped (interrupted)'
      : r.exitCode !== undefined
        ? `command exited with code ${r.exitCode}`
        : `command failed: ${r.shortMessage}`;
  throw new StageError(job.id, `${why}: ${argv.join(' ')}`, { cause: r, hint: 'see the stage log for its output' });
}
