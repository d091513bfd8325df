/**
 * A stage's timeout ends the whole process tree on a BullMQ worker too (#27: "the same goes for the
 * BullMQ worker's stage processes"): a cmd stage `sh -c 'sleep …; echo …'` (sh stays the parent,
 * so `sleep` is a grandchild of the worker) with `timeout: 3`, run through `--executor bullmq` by a
 * real `mlc-pipe worker` on a real Redis (loopback), fails as timed out, and no process of it is
 * left on the worker's machine.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startCli, tempProject } from './project.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
type Proc = ReturnType<typeof startCli>;
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.allSettled(procs);
  await redis?.stop();
});

/** Pids of live processes whose command line contains `marker` (pgrep -f; none: []). */
function pgrep(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Starts `mlc-pipe worker` in `dir` and waits for it to be up (resolves to nothing: the process is a thenable). */
async function startWorker(dir: string, queue: string): Promise<void> {
  const proc = startCli(
    ['worker', '--redis', redis.url, '--queue', queue, '--lock-duration', '1500', '--stalled-interval', '500'],
    dir,
  );
  procs.push(proc);
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker never started:\n${text}`)), 30_000);
    const on = (c: Buffer) => {
      text += c.toString();
      if (/^worker .*concurrency/m.test(text)) (clearTimeout(t), resolve());
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
  });
}

describe('bullmq worker: a stage timeout ends the whole process tree', () => {
  it("timeout: 3 on [sh, -c, 'sleep 300.NNN; echo …']: the stage fails as timed out and no sleep is left", async () => {
    // A marker unique to this test run; a 300 s sleep cannot end by itself within the test's 120 s.
    const marker = `sleep 300.${String(process.pid % 1000).padStart(3, '0')}`;
    const dir = tempProject({
      'p.yaml': `stages:\n  s: { cmd: [sh, -c, "${marker}; echo never"], timeout: 3, outs: [o] }\n`,
    });
    const worker = mkdtempSync(path.join(os.tmpdir(), 'mlc-worker-'));
    for (const f of ['package.json', 'p.yaml']) cpSync(path.join(dir, f), path.join(worker, f));
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    await startWorker(worker, 'tree');
    const r = await cli(
      ['run', 'p.yaml', '--executor', 'bullmq', '--redis', redis.url, '--queue', 'tree', '--store', store],
      dir,
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`✖ s: stage s: timed out after 3s: sh -c ${marker}; echo never`);
    // The run has ended: nothing of the stage is left running (the worker's stage process killed its group).
    // (a moment for the kernel to reap what was killed)
    for (let i = 0; i < 20 && pgrep(marker).length; i++) await sleep(100);
    expect(pgrep(marker)).toEqual([]);
  }, 120_000);
});
