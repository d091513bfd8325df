/**
 * One job on a `mlc-pipe worker` (worker.ts): the code identity checked against the runner's,
 * inputs fetched from the shared store, the stage run through the local process executor with its
 * lines batched back as job progress, and the outputs stored (hash-checked) for the runner.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { StageJob } from '../../../host/job.ts';
import { outputPlace } from '../../../pipeline/inside-dir.ts';
import type { StageNode } from '../../../pipeline/types.ts';
import { fromPackageRoot } from '../../../package-root.ts';
import { moveIntoPlace } from '../../atomic.ts';
import { CodeIdentity } from '../../hash/code-identity.ts';
import { HashIndex } from '../../hash/hash-index.ts';
import { runWithTimeout } from '../../stage-limits.ts';
import { RunCache } from '../../store/run-cache.ts';
import { codeHash } from '../../workspace.ts';
import type { Executor } from '../executor.ts';
import { joinGang, memberFailure, type GangWorker } from './gang-member.ts';
import { now, type QueueJobData, type QueueJobResult, type QueueProgress } from './protocol.ts';

/** What every job on one worker shares. */
export interface WorkerHost {
  /** This worker's name in messages (`host:pid`). */
  name: string;
  /** This machine's checkout of the project. */
  project: string;
  /** The store folder on this machine; defaults to the path each job names. */
  store?: string;
  executor: Executor;
  /** Where the worker's own lines go. */
  say(line: string): void;
  /** What the worker brings to gangs (jobs with `gang`); without it such jobs fail. */
  gang?: GangWorker;
}

/** How long log lines are gathered before they go to the runner. */
const LOG_FLUSH_MS = 50;

/** Runs one queued job on this worker; resolves with what the runner records. */
export async function runWorkerJob(
  host: WorkerHost,
  job: Job<QueueJobData, QueueJobResult>,
  signal: AbortSignal | undefined,
): Promise<QueueJobResult> {
  const d = job.data;
  const startedAt = now();
  const id = d.job.id;
  const wdir = path.join(host.project, d.wdir);
  const hashes = new HashIndex(wdir);
  const store = new RunCache(wdir, host.store ?? d.store);
  host.say(`▶ ${id} (attempt ${job.attemptsMade + 1})`);
  const lines = batchedLines(job);
  const scratch = path.join(wdir, '.mlc', 'queue-jobs', `${job.id}.${randomBytes(3).toString('hex')}`);
  try {
    const local = localJob(d, host.project, wdir, scratch);
    await checkCode(host, d, local, wdir, hashes);
    fetchInputs(d, wdir, hashes, store, lines.log);
    if (local.kind === 'cmd')
      for (const abs of Object.values(local.outputs)) rmSync(abs, { recursive: true, force: true });
    const controller = new AbortController();
    if (signal) signal.addEventListener('abort', () => controller.abort(), { once: true });
    lines.log(`# on worker ${host.name}`);
    const place = d.gang ? await joinGangHere(host, d, lines.log, signal) : undefined;
    const io = { log: lines.log, progress: (m: string) => void lines.send({ progress: m }), signal: controller.signal };
    let result: Awaited<ReturnType<Executor['run']>>;
    try {
      result = await runWithTimeout(
        (j, o) => host.executor.run(j, o),
        { ...local, ...(place ? { member: place.member } : {}) },
        io,
        d.timeout,
      );
    } finally {
      await place?.leave();
    }
    // A gang's outputs come from its member 0 alone.
    const outputs = place && place.member.rank > 0 ? {} : storeOutputs(local, wdir, hashes, store);
    await lines.flush();
    host.say(`✔ ${id}`);
    return {
      outputs,
      ...(result.metrics ? { metrics: result.metrics } : {}),
      worker: host.name,
      startedAt,
      finishedAt: now(),
    };
  } catch (err) {
    const e = err as Error;
    lines.log(`# failed on worker ${host.name}: ${e.message}`);
    await lines.flush();
    host.say(`✖ ${id}: ${e.message}`);
    if (d.gang && host.gang) throw new UnrecoverableError(memberFailure(host.gang, id, d.gang.rank, e.message));
    throw err;
  } finally {
    lines.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Inputs this checkout lacks, from the store (an input read from outside the working folder is never written there). */
function fetchInputs(d: QueueJobData, wdir: string, hashes: HashIndex, store: RunCache, log: (line: string) => void) {
  for (const [rel, hash] of Object.entries(d.inputs)) {
    if (hashes.hash(rel) === hash || !outputPlace(wdir, rel).inside) continue;
    store.fetchObject(hash, path.resolve(wdir, rel));
    log(`# fetched ${rel} from the store`);
  }
}

/** Joins the job's gang (waits until every member is placed). */
async function joinGangHere(host: WorkerHost, d: QueueJobData, log: (line: string) => void, signal?: AbortSignal) {
  const g = d.gang!;
  if (!host.gang) throw new UnrecoverableError(`worker ${host.name} cannot join gangs`);
  log(`# rank ${g.rank} of a gang of ${g.size}: waiting up to ${g.timeout}s for every member to be placed`);
  const place = await joinGang(host.gang, g, signal);
  host.say(`◆ ${d.job.id}: rank ${g.rank} of ${g.size}, gang formed`);
  log(
    `# gang formed: c10d store at ${place.member.store.host}:${place.member.store.port}, this rank at ${place.member.host}`,
  );
  return place;
}

/**
 * Fails the job for good (no retry on the same wrong code) when this checkout's code identity
 * differs from the runner's, or when an output leads outside this worker's working folder.
 */
async function checkCode(
  host: WorkerHost,
  d: QueueJobData,
  local: StageJob,
  wdir: string,
  hashes: HashIndex,
): Promise<void> {
  const id = d.job.id;
  const mine = await codeHash({ code: new CodeIdentity(path.join(wdir, '.mlc')), hashes }, nodeFor(d, local));
  if (mine !== d.job.code.hash) {
    throw new UnrecoverableError(
      `worker ${host.name} has different code for stage ${id} in ${host.project} (code identity ${mine.slice(0, 12)}…, the runner's ${d.job.code.hash.slice(0, 12)}…)`,
    );
  }
  for (const o of Object.keys(local.outputs)) {
    const place = outputPlace(wdir, o);
    if (!place.inside)
      throw new UnrecoverableError(
        `stage ${id}: output "${o}" leads outside the working folder ${wdir} (to ${place.resolved}) on worker ${host.name}; nothing was written there`,
      );
  }
}

/** Hashes each declared output, stores it in the store and (module stages) moves it into place here; returns output → hash. */
function storeOutputs(local: StageJob, wdir: string, hashes: HashIndex, store: RunCache): Record<string, string> {
  const outputs: Record<string, string> = {};
  const where: Record<string, string> = {};
  for (const [o, abs] of Object.entries(local.outputs)) {
    const h = hashes.hash(abs);
    if (h === null) throw new Error(`stage ${local.id}: finished without writing its declared output "${o}"`);
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
  return outputs;
}

/** The stage's log lines, sent to the runner as job progress in batches (at most every LOG_FLUSH_MS). */
function batchedLines(job: Job<QueueJobData, QueueJobResult>) {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const send = (m: QueueProgress) => job.updateProgress(m).catch(() => {});
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending.length) return;
    const lines = pending;
    pending = [];
    await send({ log: lines });
  };
  return {
    send,
    flush,
    log: (line: string) => {
      pending.push(line);
      timer ??= setTimeout(() => void flush(), LOG_FLUSH_MS);
    },
    dispose: () => {
      if (timer) clearTimeout(timer);
    },
  };
}

/** The job with this worker's paths: cwd in its checkout, module outputs under `scratch`. */
function localJob(d: QueueJobData, project: string, wdir: string, scratch: string): StageJob {
  const outputs: Record<string, string> = {};
  for (const o of Object.keys(d.job.outputs))
    outputs[o] = d.job.kind === 'module' ? path.join(scratch, o) : path.resolve(wdir, o);
  if (d.job.kind === 'module') mkdirSync(scratch, { recursive: true });
  const base = { ...d.job, cwd: wdir, outputs };
  if (base.kind !== 'module') return base;
  const ref = d.module!;
  const modulePath =
    'builtin' in ref ? fromPackageRoot(...ref.builtin.split('/')) : path.join(project, ...ref.project.split('/'));
  return { ...base, module: { uses: base.module.uses, path: modulePath } };
}

/** Enough of a StageNode for its code identity. */
function nodeFor(d: QueueJobData, job: StageJob): StageNode {
  const common = {
    id: job.id,
    template: job.id,
    needs: [],
    inputs: job.inputs,
    outputs: Object.keys(job.outputs),
    resources: d.resources,
    params: job.params,
  };
  if (job.kind === 'module')
    return {
      ...common,
      kind: 'module',
      uses: job.module.uses,
      modulePath: job.module.path,
      version: job.code.version ?? '',
    };
  return { ...common, kind: 'cmd', cmd: job.cmd, shell: job.shell, code: d.codeFiles ?? [], env: job.env };
}
