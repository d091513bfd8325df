/**
 * The runner's side of a gang (a stage whose `limits.gang` asks for N processes that start
 * together, e.g. a data-parallel train stage's ranks): N BullMQ jobs, one per member, each with
 * 1/N of the stage's resources, on the queue of that class. Workers take one member each
 * (worker.ts) and meet through Redis keys (./gang-protocol.ts); member 0's worker publishes the c10d
 * store's address there.
 *
 * - The gang forms when every member is placed; if that takes longer than `gang.timeout` the gang
 *   is called off (`SET state aborted NX`, exclusive with `formed`): the queued members are removed,
 *   the placed ones stop, and the stage fails saying which members were placed and which missing.
 * - The stage succeeds only when every member succeeded; its outputs and metrics are member 0's.
 * - The first member failure fails the stage, after a short grace in which the others report
 *   theirs: a member killed (by a signal, or whose worker stopped renewing its `alive` key) is
 *   named as the cause rather than the peers whose collectives then failed. The others are stopped.
 * - Redis lost or the run interrupted: the stage fails with that, as a single job would.
 */
import { StageError } from '../../../errors.ts';
import type { HostedResult, StageIO, StageJob } from '../../../host/job.ts';
import type { StageGang } from '../../../stage/define.ts';
import type { StageLimits } from '../../stage-limits.ts';
import type { Redis } from 'ioredis';
import type { JobsOptions } from 'bullmq';
import { gangKeys, keysTtl, memberResources, type GangKeys } from './gang-protocol.ts';
import { queueName, resourceClass, type QueueJobData, type QueueJobResult, type Resources } from './protocol.ts';

/** What a gang needs of the queue executor (./executor.ts's BullmqExecutor). */
export interface GangTransport {
  /** The queue job id of a stage's job in this run. */
  jobId(job: StageJob): string;
  readonly gangSide: { prefix: string; redis: Redis; isLost(): boolean };
  jobData(job: StageJob, resources: Resources, timeout?: number): QueueJobData;
  submit(
    data: QueueJobData,
    jobId: string,
    io: StageIO,
    opts: Pick<JobsOptions, 'attempts' | 'backoff'>,
  ): Promise<QueueJobResult>;
  collect(job: StageJob, data: QueueJobData, r: QueueJobResult): HostedResult;
  /** Removes the job if queued (true), else asks its worker to stop it. */
  withdraw(cls: string, jobId: string): Promise<boolean>;
}

/** After the first member failure, how long the others get to report theirs (over the `alive` expiry). */
const GRACE_MS = 4000;
const POLL_MS = 500;

interface Failure {
  rank: number;
  message: string;
}

/** Runs `job` as a gang of `limits.gang.size` member jobs; resolves with member 0's result. */
export async function runGang(
  exec: GangTransport,
  job: StageJob,
  io: StageIO,
  limits: StageLimits & { gang: StageGang },
): Promise<HostedResult> {
  const g = limits.gang;
  const { prefix, redis } = exec.gangSide;
  const resources = memberResources(limits.resources, g.size);
  const cls = resourceClass(resources);
  const id = exec.jobId(job);
  const keys = gangKeys(prefix, id);
  const ids = Array.from({ length: g.size }, (_, r) => `${id}.r${r}`);
  const base = exec.jobData({ ...job, cpus: resources.cpu }, resources, limits.timeout);
  io.log(
    `# gang of ${g.size} jobs on ${queueName(prefix, cls)}, one per worker, each cpu=${resources.cpu},gpu=${resources.gpu}; waiting up to ${g.timeout}s for workers to take them`,
  );
  const quiet: StageIO = { log: () => {}, progress: () => {}, signal: io.signal };
  const results = ids.map((jobId, rank) =>
    exec.submit({ ...base, gang: { id, rank, size: g.size, timeout: g.timeout } }, jobId, rank ? quiet : io, {
      attempts: 1,
    }),
  );
  const watch = { stopped: false };
  try {
    const formed = watchFormation(exec, job.id, g, keys, ids, cls, io, watch);
    const done = await settle(exec, job.id, g, keys, ids, cls, results, formed);
    void redis.del(...keys.all(g.size)).catch(() => 0); // a failed gang's keys stay (state aborted) until they expire
    return exec.collect(job, base, done[0]!);
  } finally {
    watch.stopped = true;
  }
}

/** Resolves once the gang formed; rejects (having called it off) when `g.timeout` passes first. */
async function watchFormation(
  exec: GangTransport,
  stage: string,
  g: StageGang,
  k: GangKeys,
  ids: string[],
  cls: string,
  io: StageIO,
  watch: { stopped: boolean },
): Promise<void> {
  const { redis } = exec.gangSide;
  const deadline = Date.now() + g.timeout * 1000;
  while (!watch.stopped) {
    const state = await redis.get(k.state);
    if (state === 'formed') {
      const members = await redis.hgetall(k.members);
      io.log(`# gang formed: ${ids.map((_, r) => `rank ${r} on ${members[r] ?? '?'}`).join(', ')}`);
      return;
    }
    if (state !== 'aborted' && Date.now() > deadline) {
      if (!(await redis.set(k.state, 'aborted', 'EX', keysTtl(g.timeout), 'NX'))) continue; // formed meanwhile
      const placed = await placedMembers(exec, k, g.size);
      await Promise.all(ids.map((jobId) => exec.withdraw(cls, jobId)));
      const missing = ids.map((_, r) => r).filter((r) => !placed.has(r));
      const joined = [...placed].map(([r, w]) => `rank ${r} on ${w}`).join(', ');
      throw new StageError(
        stage,
        `the gang of ${g.size} did not form within ${g.timeout}s: ${placed.size} of ${g.size} placed${joined ? ` (${joined})` : ''}; missing: ${missing.map((r) => `rank ${r}`).join(', ')}. The placed members were stopped and the queued ones removed`,
        {
          hint: `${g.hint ?? 'start more workers or make the gang smaller'}; each member needs a worker of its own (a worker takes one member of a gang) on queue ${queueName(exec.gangSide.prefix, cls)}, i.e. with --resources room for cpu=${parseFloat(cls.slice(1))}`,
        },
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Members whose worker is alive now: rank → `worker name (address)`. */
async function placedMembers(exec: GangTransport, k: GangKeys, size: number): Promise<Map<number, string>> {
  const { redis } = exec.gangSide;
  const members = await redis.hgetall(k.members);
  const alive = await redis.mget(...Array.from({ length: size }, (_, r) => k.alive(r)));
  return new Map(alive.flatMap((a, r) => (a ? [[r, members[r] ?? `worker ${a}`] as [number, string]] : [])));
}

/** Every member's result, or the stage's failure (the gang's, a member's, Redis', an interruption). */
function settle(
  exec: GangTransport,
  stage: string,
  g: StageGang,
  k: GangKeys,
  ids: string[],
  cls: string,
  results: Promise<QueueJobResult>[],
  formed: Promise<void>,
): Promise<QueueJobResult[]> {
  return new Promise((resolveAll, rejectAll) => {
    const done: QueueJobResult[] = [];
    const failures: Failure[] = [];
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const resolve = (r: QueueJobResult[]) => ((finished = true), resolveAll(r));
    const reject = (e: unknown) => {
      finished = true;
      clearTimeout(timer);
      rejectAll(e);
    };
    formed.catch(reject);
    const decide = async () => {
      if (finished) return;
      const placed = await placedMembers(exec, k, g.size).catch(() => new Map<number, string>());
      const members = await exec.gangSide.redis.hgetall(k.members).catch(() => ({}) as Record<string, string>);
      const settled = new Set(failures.map((f) => f.rank));
      // A member that neither reported nor is alive lost its worker: that is the cause.
      const gone = ids.map((_, r) => r).filter((r) => !settled.has(r) && done[r] === undefined && !placed.has(r));
      const lost = gone.map((r) => ({
        rank: r,
        message: `rank ${r} on ${members[r] ?? 'its worker'} stopped responding: its worker died or lost its network`,
      }));
      const all = [...lost, ...failures];
      const first = lost[0] ?? failures.find((f) => /was killed by SIG/.test(f.message)) ?? failures[0]!;
      const others = all.filter((f) => f !== first).map((f) => f.message);
      await exec.gangSide.redis.set(k.state, 'aborted', 'EX', keysTtl(g.timeout)).catch(() => null);
      await Promise.all(ids.map((jobId, r) => (done[r] ? undefined : exec.withdraw(cls, jobId))));
      reject(
        new StageError(
          stage,
          `distributed training failed: ${first.message}${others.length ? `; then ${others.join('; ')}` : ''}`,
          {
            hint: 'the gang stopped; a rerun starts it again (train with checkpoint_dir and resume: auto continues from its last checkpoint)',
          },
        ),
      );
    };
    results.forEach((p, rank) =>
      p.then(
        (r) => {
          done[rank] = r;
          if (done.filter(Boolean).length === ids.length) resolve(done);
        },
        (err: Error) => {
          if (finished) return;
          // Redis lost or the run interrupted: as for a single job, that is the stage's failure.
          if (exec.gangSide.isLost() || /stopped \(interrupted\)/.test(err.message)) return reject(err);
          const prefix = `stage ${stage}: `;
          const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
          failures.push({ rank, message });
          timer ??= setTimeout(() => void decide(), GRACE_MS);
        },
      ),
    );
  });
}
