/**
 * `mlc-pipe worker --redis URL`: run queued stages (executor: bullmq) on this machine until
 * stopped (Ctrl-C or SIGTERM: no new job is taken, the running ones finish; again: quit at once).
 */
import os from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CliIO } from '../io.ts';
import { positiveInt } from '../options.ts';
import { readEnv } from '../../environment.ts';

interface WorkerFlags {
  redis?: string;
  queue?: string;
  concurrency?: number;
  resources?: { cpu: number; gpu: number };
  project?: string;
  store?: string;
  lockDuration?: number;
  stalledInterval?: number;
  address?: string;
}

export function registerWorker(program: Command, io: CliIO): void {
  program
    .command('worker')
    .description(
      'take stage jobs off the Redis queue (runs started with --executor bullmq) and run them in this checkout of the project',
    )
    .option('--redis <url>', 'Redis URL (default: MLC_REDIS_URL)')
    .option('--queue <name>', "queue name prefix, as the runner's (default: MLC_QUEUE, else mlc-pipe)")
    .option('--concurrency <n>', 'jobs at once (default: 1)', positiveInt('--concurrency'))
    .option(
      '--resources <list>',
      `what this worker offers, e.g. cpu=8,gpu=1; it takes only jobs that fit (default: cpu=${os.availableParallelism()},gpu=0)`,
      (v: string) => parseResourcesOption(v),
    )
    .option('--project <dir>', "this machine's checkout of the project (default: the current folder)")
    .option('--store <dir>', 'where the shared store is mounted here (default: the path the runner names)')
    .option(
      '--lock-duration <ms>',
      "a job's lock lifetime: a dead worker's job is re-queued after it (default: 30000)",
      positiveInt('--lock-duration'),
    )
    .option(
      '--stalled-interval <ms>',
      'how often stalled jobs are looked for (default: 30000)',
      positiveInt('--stalled-interval'),
    )
    .option(
      '--address <host>',
      "this machine's address as other workers reach it, for data-parallel gangs: rank 0's c10d store and each rank's Gloo (default: MLC_DIST_HOST, else the first non-loopback IPv4 address)",
    )
    .action(async (flags: WorkerFlags) => {
      const { ConfigError } = await import('../../errors.ts');
      const redis = flags.redis ?? (readEnv('MLC_REDIS_URL') || undefined);
      if (!redis)
        throw new ConfigError('worker needs a Redis URL', {
          hint: 'pass --redis redis://host:6379 or set MLC_REDIS_URL',
        });
      const { runQueueWorker } = await import('../../runner/executors/bullmq/worker.ts');
      const controller = new AbortController();
      let stops = 0;
      const stop = () => {
        stops++;
        if (stops === 1) {
          io.err('stopping: no new jobs; waiting for the running ones (Ctrl-C again to quit at once)');
          controller.abort();
        } else process.exit(130);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await runQueueWorker({
          redis,
          queue: flags.queue ?? (readEnv('MLC_QUEUE') || undefined),
          concurrency: flags.concurrency,
          resources: flags.resources,
          project: flags.project,
          store: flags.store,
          lockDuration: flags.lockDuration,
          stalledInterval: flags.stalledInterval,
          address: flags.address,
          log: (l) => io.out(l),
          signal: controller.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

function parseResourcesOption(v: string): { cpu: number; gpu: number } {
  const out = { cpu: os.availableParallelism(), gpu: 0 };
  for (const part of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(cpu|gpu)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`--resources expects cpu=N,gpu=N, received "${part}"`);
    out[m[1] as 'cpu' | 'gpu'] = Number(m[2]);
  }
  if (!Number.isInteger(out.gpu))
    throw new InvalidArgumentError(`--resources: gpu must be a whole number, received ${out.gpu}`);
  return out;
}
