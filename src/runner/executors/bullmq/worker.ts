/**
 * `mlc-pipe worker`: takes stage jobs off the BullMQ queues of the resource classes it can meet,
 * runs each in its own checkout of the project through the local process executor (the same
 * transport to the stage host as a local run), and reports through BullMQ. For each job it
 *
 * 1. checks that its checkout has the code the runner hashed (code identity), else fails the job
 *    for good (UnrecoverableError: no retry on the same wrong code);
 * 2. fetches each input it lacks from the shared store (hash-checked), never from the runner;
 * 3. runs the stage, its log and progress lines going back as job progress (batched);
 * 4. stores every output in the store (hash-checked on arrival) and returns their hashes: the
 *    runner records the run only from that result.
 *
 * A job whose class fits but whose resources are taken by jobs already running here is handed
 * back (delayed a moment) for another worker. A worker that dies mid-job stops renewing the job's
 * lock; BullMQ's stalled check puts the job back in the queue for another worker.
 */
import os from 'node:os';
import path from 'node:path';
import { DelayedError, Worker, type Job } from 'bullmq';
import { LocalProcessExecutor } from '../local/executor.ts';
import { redisClients, type RedisClients } from './connection.ts';
import { gangAddress } from './gang-address.ts';
import {
  cancelChannel,
  classesKey,
  fits,
  parseResourceClass,
  queueName,
  type QueueJobData,
  type QueueJobResult,
  type Resources,
} from './protocol.ts';
import { runWorkerJob, type WorkerHost } from './worker-job.ts';

export interface QueueWorkerOptions {
  redis: string;
  /** Queue name prefix. Defaults to "mlc-pipe". */
  queue?: string;
  /** Jobs run at once. Defaults to 1. */
  concurrency?: number;
  /** What this worker offers. Defaults to cpu = the CPU count, gpu = 0. */
  resources?: Resources;
  /** This machine's checkout of the project. Defaults to the current folder. */
  project?: string;
  /** The store folder on this machine; defaults to the path each job names. */
  store?: string;
  /** Milliseconds a job's lock lasts without renewal (a dead worker's job is re-queued after it). Defaults to 30000. */
  lockDuration?: number;
  /** Milliseconds between stalled-job checks. Defaults to 30000. */
  stalledInterval?: number;
  /** Milliseconds between looks for new resource classes. Defaults to 1000. */
  discoverEvery?: number;
  /**
   * This machine's address as other workers reach it, for data-parallel gangs (rank 0's c10d store,
   * each rank's Gloo). Defaults to MLC_DIST_HOST, else the first non-loopback IPv4 address, else 127.0.0.1.
   */
  address?: string;
  /** Where the worker's own lines go. Defaults to nothing. */
  log?: (line: string) => void;
  /** Abort to stop: no new job is taken, running ones finish. */
  signal?: AbortSignal;
}

/** Runs the worker until `signal` aborts; resolves once every BullMQ worker is closed. */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const prefix = options.queue ?? 'mlc-pipe';
  const capacity = options.resources ?? { cpu: os.availableParallelism(), gpu: 0 };
  const concurrency = options.concurrency ?? 1;
  const host: WorkerHost = {
    name: `${os.hostname()}:${process.pid}`,
    project: path.resolve(options.project ?? process.cwd()),
    store: options.store,
    executor: new LocalProcessExecutor(),
    say: options.log ?? (() => {}),
  };
  const redis = redisClients(options.redis, { downSeconds: 3600 * 24 * 365 }); // a worker waits for Redis to come back
  host.gang = { name: host.name, address: gangAddress(options.address), prefix, redis: redis.client() };
  const take = capacityGate(host, capacity, concurrency);
  const workers = new Map<string, Worker>();
  const listen = (cls: string) => {
    if (workers.has(cls)) return;
    const need = parseResourceClass(cls);
    if (!need || !fits(need, capacity)) return;
    const w = new Worker<QueueJobData, QueueJobResult>(
      queueName(prefix, cls),
      (job, token, signal) => take(job, token, () => runWorkerJob(host, job, signal)),
      {
        connection: redis.client(),
        concurrency,
        lockDuration: options.lockDuration ?? 30_000,
        stalledInterval: options.stalledInterval ?? 30_000,
        maxStalledCount: 2,
      },
    );
    w.on('error', () => {}); // connection trouble: ioredis reconnects
    workers.set(cls, w);
    host.say(`listening on ${queueName(prefix, cls)}`);
  };
  await relayCancels(redis, prefix, host, workers);
  const stopDiscovering = await discoverClasses(redis, prefix, listen, options.discoverEvery ?? 1000);
  host.say(
    `worker ${host.name}: project ${host.project}, resources cpu=${capacity.cpu},gpu=${capacity.gpu}, concurrency ${concurrency}, gang address ${host.gang.address}`,
  );
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  stopDiscovering();
  await Promise.allSettled([...workers.values()].map((w) => w.close()));
  await redis.close();
}

type Take = (
  job: Job<QueueJobData, QueueJobResult>,
  token: string | undefined,
  run: () => Promise<QueueJobResult>,
) => Promise<QueueJobResult>;

/**
 * Runs a job only when this worker has room for it (`concurrency` jobs, `capacity` resources);
 * a job whose class fits but whose resources are taken by jobs already running here is handed
 * back (delayed a moment) for another worker, and so is a second member of a gang this worker
 * already holds a member of (one member per worker: a gang of N runs on N workers).
 */
function capacityGate(host: WorkerHost, capacity: Resources, concurrency: number): Take {
  const used = { cpu: 0, gpu: 0, jobs: 0 };
  const handedBack = new Set<string>();
  const gangs = new Set<string>();
  return async (job, token, run) => {
    const need = job.data.resources;
    const gang = job.data.gang?.id;
    const sameGang = gang !== undefined && gangs.has(gang);
    if (
      sameGang ||
      used.jobs >= concurrency ||
      !fits(need, { cpu: capacity.cpu - used.cpu, gpu: capacity.gpu - used.gpu })
    ) {
      if (!handedBack.has(job.id!))
        host.say(
          `↩ ${job.data.job.id}: ${sameGang ? 'holds a member of its gang already' : `busy here (${used.jobs} running)`}, back to the queue`,
        );
      handedBack.add(job.id!);
      await job.moveToDelayed(Date.now() + (sameGang ? 500 : 100), token); // leave it to another worker
      throw new DelayedError();
    }
    handedBack.delete(job.id!);
    if (gang !== undefined) gangs.add(gang);
    used.jobs++;
    used.cpu += need.cpu;
    used.gpu += need.gpu;
    try {
      return await run();
    } finally {
      if (gang !== undefined) gangs.delete(gang);
      used.jobs--;
      used.cpu -= need.cpu;
      used.gpu -= need.gpu;
    }
  };
}

/** Listens on each resource class in use (the set `<prefix>:classes`) now and every `everyMs`; returns the stop. */
async function discoverClasses(
  redis: RedisClients,
  prefix: string,
  listen: (cls: string) => void,
  everyMs: number,
): Promise<() => void> {
  const control = redis.client();
  const discover = async () => {
    try {
      for (const cls of await control.smembers(classesKey(prefix))) listen(cls);
    } catch {
      // Redis away: try again next time
    }
  };
  await discover();
  const timer = setInterval(() => void discover(), everyMs);
  return () => clearInterval(timer);
}

/** Stops a running job when the runner asks (its Ctrl-C), through the cancel channel. */
async function relayCancels(
  redis: RedisClients,
  prefix: string,
  host: WorkerHost,
  workers: ReadonlyMap<string, Worker>,
): Promise<void> {
  const subscriber = redis.client();
  subscriber.on('message', (_channel: string, jobId: string) => {
    for (const w of workers.values())
      if (w.cancelJob(jobId, 'cancelled by the runner')) host.say(`■ ${jobId}: cancelled by the runner`);
  });
  await subscriber.subscribe(cancelChannel(prefix)).catch(() => {});
}
