/**
 * `BullmqExecutor`: the queue transport to the stage host. `run(job)` makes sure the job's inputs
 * are in the shared store, puts the job (relative paths, input hashes, code identity) on the
 * BullMQ queue of its resource class, relays the worker's log and progress lines to the runner's
 * `io` as they come, and on completion fetches each output from the store (hash-checked) to the
 * path the runner gave the job. The runner then records it exactly as a local run: only the
 * runner writes the lock.
 *
 * Faults: retries are BullMQ attempts with exponential backoff (`retriesNatively`); a worker that
 * dies mid-job is detected by BullMQ's stalled-job check and the job goes back to the queue;
 * Ctrl-C removes the job if it is still queued, or asks its worker to stop it; Redis gone for
 * longer than `redisTimeout` fails every job in flight.
 */
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { StageError } from '../../../errors.ts';
import type { HostedResult, StageIO, StageJob } from '../../../host/job.ts';
import type { Executor } from '../executor.ts';
import type { HashIndex } from '../../hash/hash-index.ts';
import type { StageLimits } from '../../stage-limits.ts';
import type { Store } from '../../store/store.ts';
import { redisClients, type RedisClients } from './connection.ts';
import { runGang } from './gang.ts';
import { queueJobData } from './job-data.ts';
import {
  cancelChannel,
  classesKey,
  now,
  queueName,
  resourceClass,
  type QueueJobData,
  type QueueJobResult,
  type QueueProgress,
  type Resources,
} from './protocol.ts';

export interface BullmqExecutorOptions {
  /** Redis URL. */
  redis: string;
  /** Queue name prefix the workers listen on. */
  queue: string;
  /** The shared store (the run's run-cache). */
  store: Store;
  /** Hashes of the runner's working folder. */
  hashes: HashIndex;
  /** The pipeline's working folder. */
  workingDir: string;
  /** The project root, which each worker's `--project` checkout mirrors. */
  projectRoot: string;
  /** Seconds Redis may be unreachable before the jobs in flight fail. Defaults to 5. */
  redisTimeout?: number;
  /** cmd stages' `code:` files by stage id (part of their code identity the worker checks). */
  codeFiles?: ReadonlyMap<string, string[]>;
}

/** When each job was enqueued, started, finished on its worker and came back (ms, one machine's clock). */
export interface JobTiming {
  id: string;
  worker: string;
  enqueuedAt: number;
  startedAt: number;
  finishedAt: number;
  returnedAt: number;
}

interface Pending {
  id: string;
  io: StageIO;
  resolve(r: QueueJobResult): void;
  reject(e: Error): void;
}

export class BullmqExecutor implements Executor {
  readonly retriesNatively = true;
  /** Timings of the jobs that completed, in order. */
  readonly timings: JobTiming[] = [];
  private readonly opts: BullmqExecutorOptions;
  private readonly redis: RedisClients;
  private readonly queues = new Map<string, Promise<{ queue: Queue; events: QueueEvents }>>();
  private readonly pending = new Map<string, Pending>();
  private readonly token = randomBytes(4).toString('hex');
  private controlClient?: ReturnType<RedisClients['client']>;

  constructor(options: BullmqExecutorOptions) {
    this.opts = options;
    this.redis = redisClients(options.redis, { downSeconds: options.redisTimeout });
    void this.redis.lost.then((message) => {
      for (const p of this.pending.values())
        p.reject(
          new StageError(p.id, message, {
            hint: 'start Redis again (or fix --redis), then run again: finished stages are kept',
          }),
        );
      this.pending.clear();
    });
  }

  /** The client for the class set and cancel messages. */
  private control(): ReturnType<RedisClients['client']> {
    this.controlClient ??= this.redis.client();
    return this.controlClient;
  }

  /** The Queue and QueueEvents of a resource class, ready (events listen before the first job is added). */
  private forClass(cls: string): Promise<{ queue: Queue; events: QueueEvents }> {
    let q = this.queues.get(cls);
    if (!q) {
      q = (async () => {
        const name = queueName(this.opts.queue, cls);
        const queue = new Queue(name, { connection: this.redis.client() });
        const events = new QueueEvents(name, { connection: this.redis.client() });
        queue.on('error', () => {}); // connection errors are watched in redisClients
        events.on('error', () => {});
        events.on('progress', ({ jobId, data }) => {
          const p = this.pending.get(jobId);
          const m = data as QueueProgress;
          if (!p || typeof m !== 'object' || m === null) return;
          for (const line of m.log ?? []) p.io.log(line);
          if (m.progress !== undefined) p.io.progress(m.progress);
        });
        events.on('completed', ({ jobId, returnvalue }) => {
          const p = this.pending.get(jobId);
          if (!p) return;
          this.pending.delete(jobId);
          p.resolve((typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as QueueJobResult);
        });
        events.on('failed', ({ jobId, failedReason }) => {
          const p = this.pending.get(jobId);
          if (!p) return;
          this.pending.delete(jobId);
          // The worker's StageError already says "stage <id>: …"; said once.
          const own = `stage ${p.id}: `;
          const reason = failedReason?.startsWith(own) ? failedReason.slice(own.length) : failedReason;
          p.reject(
            new StageError(p.id, reason || 'failed on its worker', {
              hint: 'see the stage log (streamed from the worker)',
            }),
          );
        });
        await events.waitUntilReady();
        await this.control().sadd(classesKey(this.opts.queue), cls);
        return { queue, events };
      })();
      this.queues.set(cls, q);
    }
    return q;
  }

  async run(job: StageJob, io: StageIO, limits?: StageLimits): Promise<HostedResult> {
    if (io.signal.aborted) throw new StageError(job.id, 'cancelled before it started');
    if (this.redis.isLost) throw new StageError(job.id, await this.redis.lost);
    if (limits?.gang && limits.gang.size > 1) return runGang(this, job, io, { ...limits, gang: limits.gang });
    const resources = limits?.resources ?? { cpu: 1, gpu: 0 };
    const data = this.jobData(job, resources, limits?.timeout);
    const r = await this.submit(data, this.jobId(job), io, {
      attempts: (limits?.retries ?? 0) + 1,
      backoff: { type: 'exponential', delay: (limits?.retryDelay ?? 1) * 1000 },
    });
    return this.collect(job, data, r);
  }

  /** The queue job id of a stage's job in this run (a gang's members add `.r<rank>`). */
  jobId(job: StageJob): string {
    return `${this.token}.${job.id}`.replace(/:/g, '_');
  }

  /** Queue name prefix and a Redis client for the gang keys (./gang.ts). */
  get gangSide(): { prefix: string; redis: ReturnType<RedisClients['client']>; isLost: () => boolean } {
    return { prefix: this.opts.queue, redis: this.control(), isLost: () => this.redis.isLost };
  }

  /** The job data of `job` on a worker with `resources` (its inputs put in the store first). */
  jobData(job: StageJob, resources: Resources, timeout?: number): QueueJobData {
    return queueJobData(this.opts, job, resources, timeout);
  }

  /** Enqueues `data` as job `jobId` on its class's queue; resolves with the worker's result. */
  async submit(data: QueueJobData, jobId: string, io: StageIO, opts: Pick<JobsOptions, 'attempts' | 'backoff'>) {
    const id = data.job.id;
    const cls = resourceClass(data.resources);
    const result = new Promise<QueueJobResult>((resolve, reject) =>
      this.pending.set(jobId, { id, io, resolve, reject }),
    );
    const onAbort = () => void this.cancel(cls, jobId, id);
    io.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const { queue } = await Promise.race([this.forClass(cls), result.then(() => never())]);
      await queue.add(id, data, { jobId, ...opts, removeOnComplete: true, removeOnFail: true });
      io.progress(`queued on ${queueName(this.opts.queue, cls)}`);
      return await result;
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      this.pending.delete(jobId);
    }
  }

  /** Fetches the outputs a worker returned to where the runner wants them; the stage's result. */
  collect(job: StageJob, data: QueueJobData, r: QueueJobResult): HostedResult {
    for (const [o, hash] of Object.entries(r.outputs)) {
      const dest = job.outputs[o];
      if (dest === undefined) throw new StageError(job.id, `its worker returned an undeclared output "${o}"`);
      this.opts.store.fetchObject(hash, dest);
    }
    this.timings.push({
      id: job.id,
      worker: r.worker,
      enqueuedAt: data.enqueuedAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      returnedAt: now(),
    });
    return { ...(r.metrics ? { metrics: r.metrics } : {}), written: Object.keys(r.outputs) };
  }

  /** Removes job `jobId` if it is still queued (true), else asks its worker to stop it. */
  async withdraw(cls: string, jobId: string): Promise<boolean> {
    const p = this.pending.get(jobId);
    this.pending.delete(jobId);
    p?.reject(new StageError(p.id, 'withdrawn'));
    if (this.redis.isLost) return false;
    try {
      const { queue } = await this.forClass(cls);
      if (await queue.remove(jobId).catch(() => 0)) return true;
      await this.control().publish(cancelChannel(this.opts.queue), jobId);
    } catch {
      // Redis is gone: nothing is queued any more
    }
    return false;
  }

  /** Removes a queued job, or asks the worker running it to stop; the run's promise rejects at once. */
  private async cancel(cls: string, jobId: string, id: string): Promise<void> {
    this.pending.get(jobId)?.reject(new StageError(id, 'stopped (interrupted)'));
    await this.withdraw(cls, jobId);
  }

  /** Closes the queues and Redis connections. */
  async close(): Promise<void> {
    const closing = (async () => {
      const all = await Promise.allSettled(this.queues.values());
      await Promise.allSettled(
        all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.events.close(), r.value.queue.close()] : [])),
      );
    })();
    // With Redis gone BullMQ's close may wait for a reconnect that never comes.
    await Promise.race([closing, new Promise((r) => setTimeout(r, this.redis.isLost ? 0 : 3000).unref())]);
    await this.redis.close();
  }
}

function never(): never {
  throw new Error('unreachable');
}
