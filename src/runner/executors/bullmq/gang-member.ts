/**
 * A worker's side of a gang (./gang-protocol.ts): the worker that took member r's job joins the
 * gang in Redis, waits until every member is placed (or the gang is called off, or its own
 * deadline passes), and only then starts the stage's process with `job.member` set. While the
 * member runs, its `alive` key is kept fresh, so the runner can tell a worker that died from a
 * member that failed.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { GangMember } from '../../../stage/define.ts';
import { storePort } from './gang-address.ts';
import { ALIVE_MS, gangKeys, keysTtl, type GangJobData, type GangKeys } from './gang-protocol.ts';

/** What a worker brings to the gangs it joins. */
export interface GangWorker {
  /** The worker's name (`host:pid`). */
  name: string;
  /** Its address as the other members reach it (./gang-address.ts). */
  address: string;
  /** Queue name prefix. */
  prefix: string;
  /** A client for the gang's keys. */
  redis: Redis;
}

/** A member's place in its formed gang; `leave()` stops renewing its `alive` key. */
export interface GangPlace {
  member: GangMember;
  leave(): Promise<void>;
}

const POLL_MS = 250;

/** Joins gang `g` as its member `g.rank`; resolves once the gang formed, rejects when it cannot. */
export async function joinGang(w: GangWorker, g: GangJobData, signal?: AbortSignal): Promise<GangPlace> {
  const k = gangKeys(w.prefix, g.id);
  const r = w.redis;
  const ttl = keysTtl(g.timeout);
  const before = await r.get(k.started(g.rank));
  if (before)
    throw new UnrecoverableError(
      `rank ${g.rank} of the gang already started on worker ${before}, which stopped; a started gang cannot take a member back`,
    );
  if (g.rank === 0) {
    const port = await storePort(w.address);
    await r.set(k.store, JSON.stringify({ host: w.address, port }), 'EX', ttl);
  }
  await r.hset(k.members, String(g.rank), `worker ${w.name} (${w.address})`);
  await r.expire(k.members, ttl);
  const beat = () => r.set(k.alive(g.rank), w.name, 'PX', ALIVE_MS).catch(() => null);
  await beat();
  const timer = setInterval(() => void beat(), ALIVE_MS / 3);
  const leave = async () => {
    clearInterval(timer);
    await r.del(k.alive(g.rank)).catch(() => 0);
  };
  try {
    await waitFormed(r, k, g, signal);
    const store = JSON.parse((await r.get(k.store)) ?? 'null') as GangMember['store'] | null;
    if (!store) throw new Error('the gang formed without the address of its store');
    await r.set(k.started(g.rank), w.name, 'EX', ttl);
    return { member: { rank: g.rank, size: g.size, store, host: w.address, worker: w.name }, leave };
  } catch (err) {
    await leave();
    throw err;
  }
}

/** Polls until the gang formed; throws when it was called off, the job cancelled, or at the deadline. */
async function waitFormed(r: Redis, k: GangKeys, g: GangJobData, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + g.timeout * 1000;
  const ranks = Array.from({ length: g.size }, (_, i) => i);
  for (;;) {
    if (signal?.aborted) throw new Error('cancelled by the runner while the gang formed');
    const state = await r.get(k.state);
    if (state === 'formed') return;
    if (state === 'aborted') throw new UnrecoverableError('the gang was called off before it formed');
    const [store, ...alive] = await r.mget(k.store, ...ranks.map(k.alive));
    if (store && alive.every(Boolean)) {
      await r.set(k.state, 'formed', 'EX', keysTtl(g.timeout), 'NX');
      continue; // formed, by us or another member: the next look says which
    }
    if (Date.now() > deadline) {
      if (await r.set(k.state, 'aborted', 'EX', keysTtl(g.timeout), 'NX'))
        throw new UnrecoverableError(
          `the gang did not form within ${g.timeout}s: ${alive.filter(Boolean).length} of ${g.size} members were placed`,
        );
      continue;
    }
    await sleep(POLL_MS);
  }
}

/**
 * A member's failure as the runner reports it: which rank, on which host and worker, what happened
 * (the first line of the stage's error, without its `stage <id>: ` and at most ~350 characters).
 */
export function memberFailure(w: GangWorker, stage: string, rank: number, message: string): string {
  const signal = /exited on (SIG\w+)/.exec(message)?.[1];
  const line = message.split('\n')[0]!.replace(`stage ${stage}: `, '');
  const what = signal
    ? `was killed by ${signal}`
    : `failed: ${line.length > 400 ? `${line.slice(0, 150)} … ${line.slice(-200)}` : line}`;
  return `rank ${rank} on host ${os.hostname()} (${w.address}) ${what} (worker ${w.name})`;
}
