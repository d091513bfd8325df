/**
 * `runStage(job, io)`: the one place a stage is hosted. Resolves the job's module (or command),
 * builds its context, runs it and reports logs, progress and outputs through `io`. Executors are
 * transports around it: the local process executor calls it in a child process and relays `io`
 * over IPC; a queue worker calls it when it takes a job off the queue.
 */
import { existsSync } from 'node:fs';
import { StageError } from '../errors.ts';
import { runCmdStage } from './cmd-stage.ts';
import type { HostOptions, HostedResult, StageIO, StageJob } from './job.ts';
import { runModuleStage } from './module-stage.ts';

/**
 * Runs one stage job. Resolves with its metrics and the declared outputs that exist at their job
 * path; rejects when the stage throws, its command fails, or `io.signal` is aborted first.
 */
export async function runStage(job: StageJob, io: StageIO, options: HostOptions = {}): Promise<HostedResult> {
  if (io.signal.aborted) throw new StageError(job.id, 'cancelled before it started');
  const result =
    job.kind === 'cmd' ? await runCmdStage(job, io, options.killGraceMs ?? 3000) : await runModuleStage(job, io);
  const written = Object.entries(job.outputs)
    .filter(([, p]) => existsSync(p))
    .map(([declared]) => declared);
  return { ...(result.metrics ? { metrics: result.metrics } : {}), written };
}
