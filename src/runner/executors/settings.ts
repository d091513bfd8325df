/**
 * Which executor runs the stages and where it finds Redis and the shared store: the CLI flag,
 * else the environment (MLC_REDIS_URL, MLC_QUEUE, MLC_STORE), else the pipeline's keys, else the
 * defaults here.
 */
import path from 'node:path';
import { ConfigError } from '../../errors.ts';
import { processEnvironment } from '../../environment.ts';
import type { PipelineExecution } from '../../pipeline/types.ts';
import { didYouMean } from '../../suggest.ts';
import type { Execution, ExecutionFlags, ExecutorPlugin } from './executor.ts';
import { BUILTIN_EXECUTORS, DEFAULT_EXECUTOR, type ExecutorRegistry } from './registry.ts';

/** Queue name prefix when none is given. */
export const DEFAULT_QUEUE = 'mlc-pipe';

/**
 * Resolves the execution settings; throws ConfigError for an executor `registry` lacks, for a
 * shared-store executor without a store, and for what the executor's own `check` refuses.
 */
export function resolveExecution(
  declared: PipelineExecution,
  flags: ExecutionFlags = {},
  env: NodeJS.ProcessEnv = processEnvironment(),
  registry: ExecutorRegistry = BUILTIN_EXECUTORS,
): Execution {
  const executor = flags.executor ?? declared.executor ?? DEFAULT_EXECUTOR;
  const plugin = executorPlugin(executor, registry);
  const envStore = env.MLC_STORE || undefined;
  const store =
    flags.store !== undefined
      ? path.resolve(flags.store)
      : envStore !== undefined
        ? path.resolve(envStore)
        : declared.store;
  const out: Execution = {
    executor,
    redis: flags.redis ?? (env.MLC_REDIS_URL || undefined) ?? declared.redis,
    queue: flags.queue ?? (env.MLC_QUEUE || undefined) ?? declared.queue ?? DEFAULT_QUEUE,
    store,
  };
  plugin.check?.(out);
  if (plugin.properties.sharedStore && !out.store) {
    throw new ConfigError(`executor ${executor} needs a shared store (a folder every worker mounts)`, {
      hint: 'pass --store DIR, set MLC_STORE, or add `store: DIR` to the pipeline',
    });
  }
  return out;
}

/** The plugin registered as `name`; a ConfigError with a suggestion when there is none. */
export function executorPlugin(name: string, registry: ExecutorRegistry = BUILTIN_EXECUTORS): ExecutorPlugin {
  const plugin = registry.get(name);
  if (plugin) return plugin;
  const names = [...registry.keys()];
  throw new ConfigError(`--executor ${name}: unknown executor`, {
    hint: didYouMean(name, names) ?? `executors: ${names.join(', ')}`,
  });
}
