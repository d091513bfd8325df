/**
 * The executors `--executor <name>` can name: the built-in ones, plus any a caller registers in
 * the registry it gives `runPipeline` (`RunOptions.executors`), as `stages` does for stages.
 */
import { ConfigError } from '../../errors.ts';
import { bullmqExecutor } from './bullmq/plugin.ts';
import type { ExecutorPlugin } from './executor.ts';
import { localExecutor } from './local/plugin.ts';

/** Executor plugins by name. */
export type ExecutorRegistry = ReadonlyMap<string, ExecutorPlugin>;

/** The built-in executors; `local` is the default. */
export const BUILTIN_EXECUTORS: ExecutorRegistry = executorRegistry([localExecutor, bullmqExecutor], new Map());

/** The executor a run uses when none is named. */
export const DEFAULT_EXECUTOR = localExecutor.name;

/**
 * A registry of `base` (defaults to the built-in executors) and `plugins`; a name taken twice is
 * a ConfigError.
 */
export function executorRegistry(
  plugins: readonly ExecutorPlugin[],
  base: ExecutorRegistry = BUILTIN_EXECUTORS,
): ExecutorRegistry {
  const out = new Map(base);
  for (const p of plugins) {
    if (out.has(p.name))
      throw new ConfigError(`executor ${p.name} is registered twice`, { hint: 'give the new executor another name' });
    out.set(p.name, p);
  }
  return out;
}
