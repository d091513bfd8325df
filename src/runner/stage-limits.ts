/**
 * A stage's `timeout` and `retries`, for any executor: `runWithTimeout` stops a job that runs past
 * its limit (where the job runs: in the runner for local stages, in the worker for queued ones),
 * `runWithRetries` tries a failed job again after 1×, 2×, 4×… `retryDelay` seconds. A queue
 * executor that retries through its queue (BullMQ attempts and backoff) says so with
 * `retriesNatively`, and the runner leaves retrying to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StageError } from '../errors.ts';
import type { HostedResult, StageIO, StageJob } from '../host/job.ts';
import type { StageNode } from '../pipeline/types.ts';
import type { StageGang } from '../stage/define.ts';

/** What the runner asks of one stage's run beyond the job itself. */
export interface StageLimits {
  /** Seconds before the stage is stopped and fails; undefined for no limit. */
  timeout?: number;
  /** Failed attempts tried again. Defaults to 0. */
  retries?: number;
  /** Seconds before the first retry, doubled for each next one. Defaults to 1. */
  retryDelay?: number;
  /** Resources the stage holds while it runs (all its gang members together). */
  resources: { cpu: number; gpu: number };
  /**
   * The stage's gang, given only to an executor with the `gang` property: it starts `size` jobs
   * together, all or none. Other executors run the stage as one job, which starts its members.
   */
  gang?: StageGang;
}

/** The limits a stage node declares; its gang only when the executor places gangs (`gangs`). */
export function limitsOf(node: StageNode, gangs = false): StageLimits {
  return {
    timeout: node.timeout,
    retries: node.retries ?? 0,
    retryDelay: node.retryDelay ?? 1,
    resources: { ...node.resources },
    ...(gangs && node.kind === 'module' && node.gang ? { gang: { ...node.gang } } : {}),
  };
}

type Run = (job: StageJob, io: StageIO) => Promise<HostedResult>;

/**
 * Runs `job` through `run`, aborting it after `seconds`: then it rejects with "timed out after Ns".
 * A cmd job carries its own `timeout`, which the host enforces (execa), so it runs as is.
 */
export async function runWithTimeout(
  run: Run,
  job: StageJob,
  io: StageIO,
  seconds: number | undefined,
): Promise<HostedResult> {
  if (seconds === undefined || job.kind === 'cmd') return run(job, io);
  const controller = new AbortController();
  const forward = () => controller.abort(io.signal.reason);
  if (io.signal.aborted) forward();
  else io.signal.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    io.log(`# timed out after ${seconds}s: stopping`);
    controller.abort();
  }, seconds * 1000);
  try {
    return await run(job, { log: io.log, progress: io.progress, output: io.output, signal: controller.signal });
  } catch (err) {
    if (timedOut && !io.signal.aborted)
      throw new StageError(job.id, `timed out after ${seconds}s`, {
        cause: err,
        hint: "raise the stage's `timeout`, or make it faster",
      });
    throw err;
  } finally {
    clearTimeout(timer);
    io.signal.removeEventListener('abort', forward);
  }
}

/** Runs `job`, trying again up to `retries` times after a failure (not after a stop). */
export async function runWithRetries(
  run: Run,
  job: StageJob,
  io: StageIO,
  retries: number,
  retryDelay: number,
): Promise<HostedResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(job, io);
    } catch (err) {
      if (attempt >= retries || io.signal.aborted) throw err;
      const wait = retryDelay * 2 ** attempt;
      io.log(`# attempt ${attempt + 1}/${retries + 1} failed: ${(err as Error).message}; trying again in ${wait}s`);
      try {
        await sleep(wait * 1000, undefined, { signal: io.signal });
      } catch {
        throw err; // stopped while waiting
      }
    }
  }
}
