/**
 * Which executor runs the stages and where it finds Redis and the shared store: the CLI flag,
 * else the environment (MLC_REDIS_URL, MLC_QUEUE, MLC_STORE), else the pipeline's keys, else the
 * defaults here.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';
import { processEnvironment } from '../../environment.ts';
import type { PipelineExecution } from '../../pipeline/types.ts';
import { didYouMean } from '../../suggest.ts';

/** The executors a pipeline or `--executor` may name. */
export const EXECUTORS = ['local', 'bullmq'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

/** Queue name prefix when none is given. */
export const DEFAULT_QUEUE = 'mlc-pipe';

export interface ExecutionFlags {
  executor?: string;
  redis?: string;
  queue?: string;
  /** A folder, relative to the current folder. */
  store?: string;
}

export interface Execution {
  executor: ExecutorName;
  /** Redis URL (bullmq only). */
  redis?: string;
  queue: string;
  /** Absolute shared store folder, when one is configured. */
  store?: string;
}

/** Resolves the execution settings; throws ConfigError for an unknown executor or a bullmq run without Redis or store. */
export function resolveExecution(declared: PipelineExecution, flags: ExecutionFlags = {}, env: NodeJS.ProcessEnv = processEnvironment()): Execution {
  const executor = flags.executor ?? declared.executor ?? 'local';
  if (!(EXECUTORS as readonly string[]).includes(executor)) {
    throw new ConfigError(`--executor ${executor}: unknown executor`, { hint: didYouMean(executor, [...EXECUTORS]) ?? `executors: ${EXECUTORS.join(', ')}` });
  }
  const envStore = env.MLC_STORE || undefined;
  const store = flags.store !== undefined ? path.resolve(flags.store) : envStore !== undefined ? path.resolve(envStore) : declared.store;
  const out: Execution = {
    executor: executor as ExecutorName,
    redis: flags.redis ?? (env.MLC_REDIS_URL || undefined) ?? declared.redis,
    queue: flags.queue ?? (env.MLC_QUEUE || undefined) ?? declared.queue ?? DEFAULT_QUEUE,
    store,
  };
  if (out.executor === 'bullmq') {
    if (!out.redis) {
      throw new ConfigError('executor bullmq needs a Redis URL', { hint: 'pass --redis redis://host:6379, set MLC_REDIS_URL, or add `redis: redis://host:6379` to the pipeline' });
    }
    if (!out.store) {
      throw new ConfigError('executor bullmq needs a shared store (a folder every worker mounts)', { hint: 'pass --store DIR, set MLC_STORE, or add `store: DIR` to the pipeline' });
    }
  }
  return out;
}

/**
 * The project root above `dir`: the nearest folder with a package.json or .git (else `dir`). Each
 * worker's `--project` is its checkout of this folder; job paths are relative to it.
 */
export function projectRoot(dir: string): string {
  for (let d = path.resolve(dir); ; ) {
    if (existsSync(path.join(d, 'package.json')) || existsSync(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return path.resolve(dir);
    d = up;
  }
}
