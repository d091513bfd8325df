/**
 * Benchmark of the bullmq executor on loopback (a real redis-server, real `mlc-pipe worker`s):
 *
 * 1. Per-job overhead: 200 no-op cmd stages (`true`), one in flight at a time (--jobs 1), one
 *    worker. Per job: enqueue → worker start, worker finish → result recorded in the lock, and the
 *    whole enqueue → recorded (which includes the no-op's own spawn). Target: median < 20 ms.
 * 2. Scale-out: a 16-stage matrix of CPU-bound stages (a fixed busy loop in a node process) on
 *    1 worker, then on 2, each worker pinned to its own core with taskset so they never share one.
 *    Prints both wall times and the speed-up.
 *
 *   flock /work/cpu.lock npx tsx bench/runner/queue.ts [--jobs 200] [--stages 16] [--loop 200000000]
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HashIndex } from '../../src/runner/hash/hash-index.ts';
import { BullmqExecutor } from '../../src/runner/executors/bullmq/executor.ts';
import { now } from '../../src/runner/executors/bullmq/protocol.ts';
import { silentReporter } from '../../src/runner/render/reporter.ts';
import { RunCache } from '../../src/runner/store/run-cache.ts';
import { runPipeline } from '../../src/runner/run.ts';
import { startRedis } from '../../test/runner/redis-server.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin', 'mlc-pipe.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const JOBS = arg('jobs', 200);
const STAGES = arg('stages', 16);
const LOOP = arg('loop', 200_000_000);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function project(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-queue-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(path.join(dir, 'p.yaml'), yaml);
  return dir;
}

async function startWorker(dir: string, redis: string, queue: string, core?: number): Promise<{ proc: ResultPromise }> {
  const args = [CLI, 'worker', '--redis', redis, '--queue', queue, '--resources', 'cpu=1,gpu=0'];
  const p =
    core !== undefined && existsSync('/usr/bin/taskset')
      ? execa('taskset', ['-c', String(core), 'node', ...args], { cwd: dir, reject: false })
      : execa('node', args, { cwd: dir, reject: false });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 20_000);
    p.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/^worker .*concurrency/m.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { proc: p }; // not `p` itself: an awaited subprocess waits for its exit
}

async function run(dir: string, redis: string, queue: string, store: string, jobs: number) {
  const file = path.join(dir, 'p.yaml');
  const executor = new BullmqExecutor({
    redis,
    queue,
    store: new RunCache(dir, store),
    hashes: new HashIndex(dir),
    workingDir: dir,
    projectRoot: dir,
  });
  const recorded = new Map<string, number>();
  const t0 = performance.now();
  const summary = await runPipeline(file, {
    jobs,
    executor,
    execution: { executor: 'bullmq', redis, queue, store },
    reporter: { ...silentReporter, stageEnd: (id) => void recorded.set(id, now()) },
  });
  const wall = (performance.now() - t0) / 1000;
  await executor.close();
  if (summary.failed.length)
    throw new Error(`failed: ${summary.failed.join(', ')}: ${String(summary.errors.get(summary.failed[0]!))}`);
  return { wall, timings: executor.timings, recorded };
}

const redis = await startRedis();
const workers: ResultPromise[] = [];
try {
  // 1. per-job overhead
  const ids = Array.from({ length: JOBS }, (_, i) => i);
  const noop = project(
    `stages:\n  noop:\n    foreach: ${JSON.stringify(ids)}\n    cmd: [ "true" ]\n    params: { i: "\${item}" }\n`,
  );
  const store1 = mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-store-'));
  workers.push((await startWorker(noop, redis.url, 'overhead')).proc);
  const r1 = await run(noop, redis.url, 'overhead', store1, 1);
  const toStart = r1.timings.map((t) => t.startedAt - t.enqueuedAt);
  const toRecorded = r1.timings.map((t) => r1.recorded.get(t.id)! - t.finishedAt);
  const total = r1.timings.map((t) => r1.recorded.get(t.id)! - t.enqueuedAt);
  const stage = r1.timings.map((t) => t.finishedAt - t.startedAt);
  console.log(`per-job, ${r1.timings.length} no-op jobs on loopback, one in flight (ms): median [p90]`);
  console.log(`  enqueue -> worker start      ${median(toStart).toFixed(2)} [${pct(toStart, 0.9).toFixed(2)}]`);
  console.log(`  worker finish -> recorded    ${median(toRecorded).toFixed(2)} [${pct(toRecorded, 0.9).toFixed(2)}]`);
  console.log(
    `  overhead (sum of the two)    ${median(r1.timings.map((_, i) => toStart[i]! + toRecorded[i]!)).toFixed(2)}   target < 20`,
  );
  console.log(`  on the worker (spawn \`true\`) ${median(stage).toFixed(2)}`);
  console.log(`  enqueue -> recorded, total   ${median(total).toFixed(2)} [${pct(total, 0.9).toFixed(2)}]`);
  for (const w of workers.splice(0)) w.kill('SIGTERM');

  // 2. 1 vs 2 workers, each on its own core
  const busy = `let x = 0; for (let i = 0; i < ${LOOP}; i++) x = (x + i) % 1000003; console.log(x);`;
  const matrix = (tag: string) =>
    project(
      `stages:\n  burn:\n    matrix: { a: ${JSON.stringify(Array.from({ length: STAGES / 4 }, (_, i) => i))}, b: [0, 1, 2, 3] }\n    cmd: [ node, -e, ${JSON.stringify(busy)} ]\n    params: { a: "\${item.a}", b: "\${item.b}", tag: ${tag} }\n`,
    );
  const walls: number[] = [];
  for (const n of [1, 2]) {
    const dir = matrix(`w${n}`);
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-store-'));
    for (let k = 0; k < n; k++)
      workers.push((await startWorker(dir, redis.url, `burn${n}`, k % os.availableParallelism())).proc);
    const r = await run(dir, redis.url, `burn${n}`, store, STAGES);
    walls.push(r.wall);
    const per = new Map<string, number>();
    for (const t of r.timings) per.set(t.worker, (per.get(t.worker) ?? 0) + 1);
    console.log(
      `${STAGES}-stage CPU-bound matrix on ${n} worker${n > 1 ? 's' : ''}: ${r.wall.toFixed(2)} s (jobs per worker: ${[...per.values()].join(', ')}; median stage ${median(r.timings.map((t) => t.finishedAt - t.startedAt)).toFixed(0)} ms)`,
    );
    for (const w of workers.splice(0)) w.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`speed-up 1 -> 2 workers: ${(walls[0]! / walls[1]!).toFixed(2)}x`);
} finally {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.allSettled(workers);
  await redis.stop();
}
