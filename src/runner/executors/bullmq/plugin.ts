/**
 * The `bullmq` executor: stages become jobs on Redis, taken by `mlc-pipe worker`s (worker.ts) that
 * place them by their resources; outputs travel through the shared store. BullMQ is imported only
 * when a run uses it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../errors.ts';
import type { ExecutorContext, ExecutorPlugin } from '../executor.ts';

/** Default cap on stages in flight (the workers' own limits apply too). */
const QUEUE_JOBS = 256;

export const bullmqExecutor: ExecutorPlugin = {
  name: 'bullmq',
  description: `jobs on Redis for \`mlc-pipe worker\`s, which enforce resources; --jobs caps stages in flight (default ${QUEUE_JOBS})`,
  properties: { defaultJobs: QUEUE_JOBS, enforcesResources: true, gang: true, sharedStore: true },
  check(settings) {
    if (!settings.redis) {
      throw new ConfigError('executor bullmq needs a Redis URL', {
        hint: 'pass --redis redis://host:6379, set MLC_REDIS_URL, or add `redis: redis://host:6379` to the pipeline',
      });
    }
  },
  create: createBullmqExecutor,
};

/** The executor of a run: the shared store (the run's run-cache), the working folder's hashes and the project root. */
async function createBullmqExecutor({ workspace: ws, settings }: ExecutorContext) {
  const { BullmqExecutor } = await import('./executor.ts');
  const codeFiles = new Map<string, string[]>();
  for (const n of ws.graph.stages.values()) if (n.kind === 'cmd') codeFiles.set(n.id, n.code);
  return new BullmqExecutor({
    redis: settings.redis!,
    queue: settings.queue,
    store: ws.runCache,
    hashes: ws.hashes,
    workingDir: ws.pipeline.dir,
    projectRoot: projectRoot(ws.pipeline.fileDir),
    codeFiles,
  });
}

/**
 * The project root above `dir`: the nearest folder with a package.json or .git (else `dir`). Each
 * worker's `--project` is its checkout of this folder; job paths are relative to it.
 */
export function projectRoot(dir: string): string {
  for (let d = path.resolve(dir); ;) {
    if (existsSync(path.join(d, 'package.json')) || existsSync(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return path.resolve(dir);
    d = up;
  }
}
