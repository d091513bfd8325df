/** The `local` executor: every stage on this machine, in its own process (executor.ts, imported when a run uses it). */
import type { ExecutorPlugin } from '../executor.ts';

export const localExecutor: ExecutorPlugin = {
  name: 'local',
  description:
    'this machine, each stage in its own process; --jobs CPU slots (default: the CPU count) and --gpus are reserved per stage',
  properties: { enforcesResources: false, gang: false, sharedStore: false },
  create: async () => new (await import('./executor.ts')).LocalProcessExecutor(),
};
