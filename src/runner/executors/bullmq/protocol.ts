/**
 * What the bullmq executor and `mlc-pipe worker` exchange through Redis: job data (a StageJob with
 * its paths made relative, so any machine can place it in its own checkout), the result, progress
 * messages, and the names of the queues and keys. One BullMQ queue per resource class
 * (`<prefix>.c<cpu>g<gpu>`): a worker listens only on the classes it can meet, so it never takes a
 * job it cannot run. The classes in use are kept in the set `<prefix>:classes`.
 */
import type { StageJob } from '../../../host/job.ts';
import type { GangJobData } from './gang-protocol.ts';

export interface Resources {
  cpu: number;
  gpu: number;
}

/** Where a module stage's code is, on the machine that runs it. */
export type ModuleRef =
  /** A built-in stage: path relative to the mlc-pipe package. */
  | { builtin: string }
  /** A project stage: path relative to the project root (the folder with package.json or .git). */
  | { project: string };

export interface QueueJobData {
  v: 1;
  /** The job, its `cwd` and output paths to be replaced by the worker's own. */
  job: StageJob;
  /** Working folder relative to the project root (posix, '' for the root). */
  wdir: string;
  /** The module stage's code (module jobs only). */
  module?: ModuleRef;
  /** `code:` files of a cmd stage (relative to the working folder), hashed into its code identity. */
  codeFiles?: string[];
  /** Input path (relative to the working folder) → content hash; the worker fetches what it lacks from the store. */
  inputs: Record<string, string>;
  /** The store folder as the runner sees it (a worker's `--store` overrides it). */
  store: string;
  /** Seconds before the worker stops the stage. */
  timeout?: number;
  resources: Resources;
  /** `performance.timeOrigin + performance.now()` when the runner enqueued it. */
  enqueuedAt: number;
  /** This job is one member of a gang (./gang-protocol.ts). */
  gang?: GangJobData;
}

export interface QueueJobResult {
  /** Output path → content hash, every one stored (hash-checked) in the store. */
  outputs: Record<string, string>;
  metrics?: Record<string, number | string | null>;
  /** The worker's name (host:pid). */
  worker: string;
  /** Clock times (ms, `performance.timeOrigin + performance.now()`) on the worker. */
  startedAt: number;
  finishedAt: number;
}

/** Worker → runner, through `job.updateProgress`. */
export interface QueueProgress {
  /** Stage log lines since the last message. */
  log?: string[];
  /** The stage's latest status line. */
  progress?: string;
}

/** Whether `need` fits within `have`. */
export function fits(need: Resources, have: Resources): boolean {
  return need.cpu <= have.cpu && need.gpu <= have.gpu;
}

/** The resource class of a job: `c<cpu>g<gpu>` (`c0.5g0`, `c8g1`). */
export function resourceClass(r: Resources): string {
  return `c${r.cpu}g${r.gpu}`;
}

/** Parses a resource class back; undefined when the name is not one. */
export function parseResourceClass(name: string): Resources | undefined {
  const m = /^c(\d+(?:\.\d+)?)g(\d+)$/.exec(name);
  return m ? { cpu: Number(m[1]), gpu: Number(m[2]) } : undefined;
}

/** The BullMQ queue name of a class. */
export function queueName(prefix: string, cls: string): string {
  return `${prefix}.${cls}`;
}

/** Redis set of the classes in use. */
export const classesKey = (prefix: string) => `mlc-pipe:${prefix}:classes`;
/** Pub/sub channel on which the runner names jobs to stop. */
export const cancelChannel = (prefix: string) => `mlc-pipe:${prefix}:cancel`;

/** A clock comparable across processes on one machine (ms). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
