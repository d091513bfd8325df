/**
 * Faults of a gang on the bullmq executor, with a real Redis and real `mlc-pipe worker` processes on
 * loopback. In each case `mlc-pipe run` exits 1 and records nothing:
 * - the gang cannot form (too few workers; a worker SIGKILLed while its member waits): it fails at
 *   its gang timeout naming what was placed and what is missing, the placed members stop and the
 *   queued jobs are removed;
 * - a rank's process SIGKILLed mid-run (rank 1, and rank 0): the stage fails naming the rank and host, and a rerun with
 *   `resume: auto` continues from the last checkpoint to the same end as a straight run;
 * - a rank's worker SIGKILLed mid-run: the stage fails naming the rank and the worker that died;
 * - Redis killed mid-run: the run fails naming Redis and its address, without hanging;
 * - Ctrl-C on the runner while the gang forms: exit 130, the placed members stop, the queued one goes.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLock } from '../../../src/index.ts';
import { makeDemoDataset } from '../../../src/data/demo/index.ts';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { STAGE_API, tempProject } from '../project.ts';
import { startRedis, type RedisServer } from '../redis-server.ts';
import { tinyTrainStage } from '../../train/distributed/tiny-train.ts';
import {
  checkout,
  descendants,
  killStarted,
  queueArgs,
  startCli,
  startWorker,
  type WorkerProc,
} from './gang-workers.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await killStarted();
  await redis?.stop();
});

/** A gang of 3 that waits, then does nothing (it never gets that far in these tests). */
const WAITING_GANG = `import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'trio', version: '1', description: 'a gang of 3',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  resources: { cpu: 3 },
  gang: () => ({ size: 3, timeout: 20, hint: 'start more workers' }),
  async run() {},
});
`;

const EPOCHS = 8;
const trainPipeline = (ckpt: string) =>
  `stages:\n${tinyTrainStage('train', {
    epochs: EPOCHS,
    batch_size: 8,
    checkpoint_dir: ckpt,
    resume: 'auto',
    distributed: '{ ranks: 2, timeout_s: 30, gang_timeout_s: 300 }',
    out: 'models/run',
  })}`;

/** A project training a tiny model on 2 ranks; checkpoints in a folder every worker shares. */
async function trainProject(queue: string) {
  const ckpt = mkdtempSync(path.join(os.tmpdir(), 'mlc-gang-ckpt-'));
  const dir = tempProject({ 'p.yaml': trainPipeline(ckpt) });
  await makeDemoDataset('plates', { out: path.join(dir, 'data'), n: 32, seed: 2, valFraction: 0.25 });
  const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
  const workers: WorkerProc[] = [];
  for (let i = 0; i < 2; i++) {
    const wdir = checkout(dir, ['package.json', 'p.yaml']);
    cpSync(path.join(dir, 'data'), path.join(wdir, 'data'), { recursive: true }); // the images every checkout has
    workers.push(await startWorker(redis.url, wdir, queue, ['--resources', 'cpu=1,gpu=0']));
  }
  return { dir, store, workers, last: path.join(ckpt, 'last', 'state.json') };
}

const rankOf = (w: WorkerProc) => /^◆ train: rank (\d) of 2/m.exec(w.out())?.[1];

async function until(cond: () => boolean, what: string, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(distUnavailable() !== undefined)('faults of a gang on the bullmq executor', () => {
  it('too few workers, one SIGKILLed while its member waits: the gang fails at its timeout, naming who was placed and who is missing', async () => {
    const dir = tempProject({
      'trio.ts': WAITING_GANG,
      'p.yaml': 'stages:\n  trio: { uses: ./trio.ts, with: { out: t.txt } }\n',
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'trio.ts', 'p.yaml'];
    // Room and concurrency for all 3 members each, but a worker takes one member of a gang.
    const [a, b] = [
      await startWorker(redis.url, checkout(dir, code), 'form', ['--resources', 'cpu=4,gpu=0', '--concurrency', '3']),
      await startWorker(redis.url, checkout(dir, code), 'form', ['--resources', 'cpu=4,gpu=0', '--concurrency', '3']),
    ];
    const run = startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'form', store)], dir);
    await Promise.all([a!.waitFor(/^▶ trio/m), b!.waitFor(/^▶ trio/m)]);
    await a!.waitFor(/^↩ trio: holds a member of its gang already, back to the queue$/m);
    b!.proc.kill('SIGKILL');
    const r = await run;
    const err = String(r.stderr);
    expect(r.exitCode, String(r.stdout) + err).toBe(1);
    const placed =
      /the gang of 3 did not form within 20s: 1 of 3 placed \(rank (\d) on worker \S+ \(127\.0\.0\.1\)\); missing: rank (\d), rank (\d)\. The placed members were stopped and the queued ones removed/.exec(
        err,
      );
    expect(placed, err).not.toBeNull();
    expect([placed![1], placed![2], placed![3]].sort()).toEqual(['0', '1', '2']);
    expect(err).toContain('start more workers; each member needs a worker of its own');
    // the placed member stopped (called off, or cancelled by the runner: whichever it saw first)
    await a!.waitFor(
      /^✖ trio: (the gang was called off before it formed|cancelled by the runner while the gang formed)$/m,
    );
    const queue = new Queue('form.c1g0', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }) });
    expect(await queue.getJobCounts('wait', 'delayed', 'prioritized')).toEqual({ wait: 0, delayed: 0, prioritized: 0 });
    await queue.close();
    expect(
      existsSync(path.join(dir, 'p.mlc.lock')) ? readLock(path.join(dir, 'p.mlc.lock')).stages.trio : undefined,
    ).toBeUndefined();
    a!.proc.kill('SIGTERM');
  }, 300_000);

  it('Ctrl-C on the runner while the gang forms stops the placed members and removes the queued one', async () => {
    const dir = tempProject({
      'trio.ts': WAITING_GANG,
      'p.yaml': 'stages:\n  trio: { uses: ./trio.ts, with: { out: t.txt } }\n',
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'trio.ts', 'p.yaml'];
    const workers = [
      await startWorker(redis.url, checkout(dir, code), 'int', ['--resources', 'cpu=1,gpu=0']),
      await startWorker(redis.url, checkout(dir, code), 'int', ['--resources', 'cpu=1,gpu=0']),
    ];
    const run = startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'int', store)], dir);
    await Promise.all(workers.map((w) => w.waitFor(/^▶ trio/m)));
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(130);
    for (const w of workers) await w.waitFor(/^✖ trio: cancelled by the runner while the gang formed$/m);
    const queue = new Queue('int.c1g0', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }) });
    expect(await queue.getJobCounts('wait', 'delayed', 'active')).toEqual({ wait: 0, delayed: 0, active: 0 });
    await queue.close();
    for (const w of workers) w.proc.kill('SIGTERM');
  }, 300_000);

  // rank 1, and rank 0: the store's server, whose job writes the outputs and reports the stage
  for (const rank of ['1', '0'])
    it(`SIGKILL of rank ${rank} mid-run fails the stage naming rank and host; resume: auto then continues from the last checkpoint`, async () => {
      const { dir, store, workers, last } = await trainProject(`kill${rank}`);
      const args = ['run', 'p.yaml', ...queueArgs(redis.url, `kill${rank}`, store)];
      const run = startCli(args, dir);
      await until(
        () => workers.every((w) => rankOf(w) !== undefined) && existsSync(last),
        'the gang formed and rank 0 checkpointed',
      );
      const victim = workers.find((w) => rankOf(w) === rank)!;
      const [pid] = descendants(victim.proc.pid!, 'stage-worker.js');
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, 'SIGKILL');
      const r = await run;
      const err = String(r.stderr);
      expect(r.exitCode, String(r.stdout) + err).toBe(1);
      expect(err).toContain(
        `distributed training failed: rank ${rank} on host ${hostname()} (127.0.0.1) was killed by SIGKILL`,
      );
      expect(readLock(path.join(dir, 'p.mlc.lock')).stages.train).toBeUndefined();
      const epochsBefore = (JSON.parse(readFileSync(last, 'utf8')) as { epoch: number }).epoch;
      expect(epochsBefore).toBeLessThan(EPOCHS); // killed mid-run, not after it

      const again = await startCli(args, dir);
      expect(again.exitCode, String(again.stdout) + String(again.stderr)).toBe(0);
      const log = readFileSync(path.join(dir, 'logs/p/train.log'), 'utf8');
      expect(log).toContain(`resuming from ${path.dirname(last)}`);
      expect(log).toMatch(/distributed: rank 0 of 2 × 1 thread, c10d Gloo on 127\.0\.0\.1/);
      const config = JSON.parse(readFileSync(path.join(dir, 'models/run/config.json'), 'utf8'));
      expect(config.epochs_done).toBe(EPOCHS);
      expect(readLock(path.join(dir, 'p.mlc.lock')).stages.train!.params.distributed).toEqual({
        ranks: 2,
        sync_bn: false,
      });
      for (const w of workers) w.proc.kill('SIGTERM');
    }, 900_000);

  it("SIGKILL of rank 1's worker mid-run fails the stage naming the rank and its worker", async () => {
    const { dir, store, workers, last } = await trainProject('worker');
    const run = startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'worker', store)], dir);
    await until(
      () => workers.every((w) => rankOf(w) !== undefined) && existsSync(last),
      'the gang formed and rank 0 checkpointed',
    );
    const victim = workers.find((w) => rankOf(w) === '1')!;
    victim.proc.kill('SIGKILL');
    const r = await run;
    const err = String(r.stderr);
    expect(r.exitCode, String(r.stdout) + err).toBe(1);
    expect(err).toContain(
      `distributed training failed: rank 1 on worker ${hostname()}:${victim.proc.pid} (127.0.0.1) stopped responding: its worker died or lost its network`,
    );
    expect(readLock(path.join(dir, 'p.mlc.lock')).stages.train).toBeUndefined();
    for (const w of workers) w.proc.kill('SIGTERM');
  }, 900_000);

  it('Redis killed mid-run: the run fails naming Redis and its address, records nothing, and does not hang', async () => {
    const { dir, store, workers, last } = await trainProject('down');
    const run = startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'down', store)], dir);
    await until(
      () => workers.every((w) => rankOf(w) !== undefined) && existsSync(last),
      'the gang formed and rank 0 checkpointed',
    );
    await redis.kill();
    const r = await run;
    const err = String(r.stderr);
    expect(r.exitCode, String(r.stdout) + err).toBe(1);
    expect(err).toMatch(/✖ stage train: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(
      existsSync(path.join(dir, 'p.mlc.lock')) ? readLock(path.join(dir, 'p.mlc.lock')).stages.train : undefined,
    ).toBeUndefined();
    expect(existsSync(path.join(dir, 'models/run'))).toBe(false);
    for (const w of workers) w.proc.kill('SIGKILL');
    await redis.restart();
  }, 900_000);
});
