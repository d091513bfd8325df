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
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { StageJob } from '../../../host/job.ts';
import type { StageNode } from '../../../pipeline/types.ts';
import { fromPackageRoot } from '../../../package-root.ts';
import { moveIntoPlace } from '../../atomic.ts';
import { CodeIdentity } from '../../hash/code-identity.ts';
import { LocalProcessExecutor } from '../local/executor.ts';
import { outputPlace } from '../../../pipeline/inside-dir.ts';
import { HashIndex } from '../../hash/hash-index.ts';
import { RunCache } from '../../store/run-cache.ts';
import { runWithTimeout } from '../../stage-limits.ts';
import { codeHash } from '../../workspace.ts';
import { redisClients } from './connection.ts';
import { cancelChannel, classesKey, fits, now, parseResourceClass, queueName, type QueueJobData, type QueueJobResult, type QueueProgress, type Resources } from './protocol.ts';

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
  /** Where the worker's own lines go. Defaults to nothing. */
  log?: (line: string) => void;
  /** Abort to stop: no new job is taken, running ones finish. */
  signal?: AbortSignal;
}

/** How long log lines are gathered before they go to the runner. */
const LOG_FLUSH_MS = 50;

/** Runs the worker until `signal` aborts; resolves once every BullMQ worker is closed. */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const prefix = options.queue ?? 'mlc-pipe';
  const capacity = options.resources ?? { cpu: os.availableParallelism(), gpu: 0 };
  const concurrency = options.concurrency ?? 1;
  const project = path.resolve(options.project ?? process.cwd());
  const say = options.log ?? (() => {});
  const name = `${os.hostname()}:${process.pid}`;
  const redis = redisClients(options.redis, { downSeconds: 3600 * 24 * 365 }); // a worker waits for Redis to come back
  const executor = new LocalProcessExecutor();
  const workers = new Map<string, Worker>();
  const used = { cpu: 0, gpu: 0, jobs: 0 };
  const handedBack = new Set<string>();

  const process1 = async (job: Job<QueueJobData, QueueJobResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<QueueJobResult> => {
    const d = job.data;
    const need = d.resources;
    if (used.jobs >= concurrency || !fits(need, { cpu: capacity.cpu - used.cpu, gpu: capacity.gpu - used.gpu })) {
      if (!handedBack.has(job.id!)) say(`↩ ${d.job.id}: busy here (${used.jobs} running), back to the queue`);
      handedBack.add(job.id!);
      await job.moveToDelayed(Date.now() + 100, token); // busy here: leave it to another worker
      throw new DelayedError();
    }
    handedBack.delete(job.id!);
    used.jobs++;
    used.cpu += need.cpu;
    used.gpu += need.gpu;
    try {
      return await runJob(job, signal);
    } finally {
      used.jobs--;
      used.cpu -= need.cpu;
      used.gpu -= need.gpu;
    }
  };

  const runJob = async (job: Job<QueueJobData, QueueJobResult>, signal: AbortSignal | undefined): Promise<QueueJobResult> => {
    const d = job.data;
    const startedAt = now();
    const id = d.job.id;
    const wdir = path.join(project, d.wdir);
    const stateDir = path.join(wdir, '.mlc');
    const hashes = new HashIndex(wdir);
    const store = new RunCache(wdir, options.store ?? d.store);
    say(`▶ ${id} (attempt ${job.attemptsMade + 1})`);
    let pendingLines: string[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const send = (m: QueueProgress) => job.updateProgress(m).catch(() => {});
    const flush = async () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      if (!pendingLines.length) return;
      const lines = pendingLines;
      pendingLines = [];
      await send({ log: lines });
    };
    const log = (line: string) => {
      pendingLines.push(line);
      flushTimer ??= setTimeout(() => void flush(), LOG_FLUSH_MS);
    };
    const scratch = path.join(stateDir, 'queue-jobs', `${job.id}.${randomBytes(3).toString('hex')}`);
    try {
      // 1. code identity
      const local = localJob(d, project, wdir, scratch);
      const node = nodeFor(d, local);
      const mine = await codeHash({ code: new CodeIdentity(stateDir), hashes }, node);
      if (mine !== d.job.code.hash) {
        throw new UnrecoverableError(`worker ${name} has different code for stage ${id} in ${project} (code identity ${mine.slice(0, 12)}…, the runner's ${d.job.code.hash.slice(0, 12)}…)`);
      }
      // Nothing is written through a path that leads outside this worker's working folder.
      for (const o of Object.keys(local.outputs)) {
        const place = outputPlace(wdir, o);
        if (!place.inside) throw new UnrecoverableError(`stage ${id}: output "${o}" leads outside the working folder ${wdir} (to ${place.resolved}) on worker ${name}; nothing was written there`);
      }
      // 2. inputs from the store (an input read from outside the working folder is never written there)
      for (const [rel, hash] of Object.entries(d.inputs)) {
        if (hashes.hash(rel) === hash || !outputPlace(wdir, rel).inside) continue;
        store.fetchObject(hash, path.resolve(wdir, rel));
        log(`# fetched ${rel} from the store`);
      }
      // 3. run
      if (local.kind === 'cmd') for (const abs of Object.values(local.outputs)) rmSync(abs, { recursive: true, force: true });
      const controller = new AbortController();
      if (signal) signal.addEventListener('abort', () => controller.abort(), { once: true });
      log(`# on worker ${name}`);
      const result = await runWithTimeout((j, io) => executor.run(j, io), local, { log, progress: (m) => void send({ progress: m }), signal: controller.signal }, d.timeout);
      // 4. outputs into the store
      const outputs: Record<string, string> = {};
      const where: Record<string, string> = {};
      for (const [o, abs] of Object.entries(local.outputs)) {
        const h = hashes.hash(abs);
        if (h === null) throw new Error(`stage ${id}: finished without writing its declared output "${o}"`);
        outputs[o] = h;
        where[o] = abs;
      }
      store.store(outputs, hashes, where);
      if (local.kind === 'module') {
        for (const [o, abs] of Object.entries(where)) {
          const target = path.resolve(wdir, o);
          mkdirSync(path.dirname(target), { recursive: true });
          moveIntoPlace(abs, target); // later jobs here find it in place
        }
      }
      hashes.save();
      await flush();
      say(`✔ ${id}`);
      return { outputs, ...(result.metrics ? { metrics: result.metrics } : {}), worker: name, startedAt, finishedAt: now() };
    } catch (err) {
      const e = err as Error;
      log(`# failed on worker ${name}: ${e.message}`);
      await flush();
      say(`✖ ${id}: ${e.message}`);
      throw err;
    } finally {
      if (flushTimer) clearTimeout(flushTimer);
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  const listen = (cls: string) => {
    if (workers.has(cls)) return;
    const need = parseResourceClass(cls);
    if (!need || !fits(need, capacity)) return;
    const w = new Worker<QueueJobData, QueueJobResult>(queueName(prefix, cls), process1, {
      connection: redis.client(),
      concurrency,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      maxStalledCount: 2,
    });
    w.on('error', () => {}); // connection trouble: ioredis reconnects
    workers.set(cls, w);
    say(`listening on ${queueName(prefix, cls)}`);
  };

  const control = redis.client();
  const discover = async () => {
    try {
      for (const cls of await control.smembers(classesKey(prefix))) listen(cls);
    } catch {
      // Redis away: try again next time
    }
  };
  const subscriber = redis.client();
  subscriber.on('message', (_channel: string, jobId: string) => {
    for (const w of workers.values()) if (w.cancelJob(jobId, 'cancelled by the runner')) say(`■ ${jobId}: cancelled by the runner`);
  });
  await subscriber.subscribe(cancelChannel(prefix)).catch(() => {});
  await discover();
  say(`worker ${name}: project ${project}, resources cpu=${capacity.cpu},gpu=${capacity.gpu}, concurrency ${concurrency}`);
  const timer = setInterval(() => void discover(), options.discoverEvery ?? 1000);
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  await Promise.allSettled([...workers.values()].map((w) => w.close()));
  await redis.close();
}

/** The job with this worker's paths: cwd in its checkout, module outputs under `scratch`. */
function localJob(d: QueueJobData, project: string, wdir: string, scratch: string): StageJob {
  const outputs: Record<string, string> = {};
  for (const o of Object.keys(d.job.outputs)) outputs[o] = d.job.kind === 'module' ? path.join(scratch, o) : path.resolve(wdir, o);
  if (d.job.kind === 'module') mkdirSync(scratch, { recursive: true });
  const base = { ...d.job, cwd: wdir, outputs };
  if (base.kind !== 'module') return base;
  const ref = d.module!;
  const modulePath = 'builtin' in ref ? fromPackageRoot(...ref.builtin.split('/')) : path.join(project, ...ref.project.split('/'));
  return { ...base, module: { uses: base.module.uses, path: modulePath } };
}

/** Enough of a StageNode for its code identity. */
function nodeFor(d: QueueJobData, job: StageJob): StageNode {
  const common = { id: job.id, template: job.id, needs: [], inputs: job.inputs, outputs: Object.keys(job.outputs), resources: d.resources, params: job.params };
  if (job.kind === 'module') return { ...common, kind: 'module', uses: job.module.uses, modulePath: job.module.path, version: job.code.version ?? '' };
  return { ...common, kind: 'cmd', cmd: job.cmd, shell: job.shell, code: d.codeFiles ?? [], env: job.env };
}
