/**
 * Messages between LocalProcessExecutor and its child process (src/runner/executors/local/worker.ts):
 * the transport around the stage host, over Node's IPC channel.
 */
import type { HostedResult, StageJob } from '../../../host/job.ts';

/** Runner → child: run this job. */
export interface RunMessage {
  type: 'run';
  job: StageJob;
}

/** A failure as it crosses the process boundary. */
export interface ErrorPayload {
  message: string;
  stack?: string;
  hint?: string;
  /** The stage refused to start (an error with exit code 2: pre-flight data checks, bad params). */
  refused?: boolean;
}

/** Child → runner: one call of the job's `io`, then the result or the error. */
export type ChildMessage =
  | { type: 'log'; line: string }
  | { type: 'progress'; message: string }
  | { type: 'output'; declared: string; path: string }
  | { type: 'done'; result: HostedResult }
  | { type: 'error'; error: ErrorPayload };
