/**
 * The bullmq executor against a real Redis (redis-server on a free loopback port) and real
 * `mlc-pipe worker` processes, each in its own checkout of the project (code only: every input
 * comes from the shared store). Short lock durations and stalled intervals keep the fault tests
 * quick.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, concatStage, STAGE_API, startCli, tempProject } from './project.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

type Proc = ReturnType<typeof startCli>;
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.allSettled(procs);
});

/** A checkout of `project` for a worker: its code files, no data, no outputs. */
function checkout(project: string, files: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-worker-'));
  for (const f of files) cpSync(path.join(project, f), path.join(dir, f));
  return dir;
}

interface WorkerProc {
  proc: Proc;
  dir: string;
  /** Everything it printed so far. */
  out(): string;
  /** Resolves when its output matches. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

async function startWorker(dir: string, queue: string, extra: string[] = []): Promise<WorkerProc> {
  const proc = startCli(
    [
      'worker',
      '--redis',
      redis.url,
      '--queue',
      queue,
      '--lock-duration',
      '1500',
      '--stalled-interval',
      '500',
      ...extra,
    ],
    dir,
  );
  procs.push(proc);
  let text = '';
  const waiters: { re: RegExp; resolve(): void }[] = [];
  proc.stdout!.on('data', (c: Buffer) => {
    text += c.toString();
    for (const w of [...waiters])
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  proc.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const w: WorkerProc = {
    proc,
    dir,
    out: () => text,
    waitFor: (re, ms = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(text)) return resolve();
        const t = setTimeout(() => reject(new Error(`worker output never matched ${re}:\n${text}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
  await w.waitFor(/^worker .*concurrency/m);
  return w;
}

const done = (w: WorkerProc) => [...w.out().matchAll(/^✔ (\S+)/gm)].map((m) => m[1]!);
const queueArgs = (queue: string, store: string) => [
  '--executor',
  'bullmq',
  '--redis',
  redis.url,
  '--queue',
  queue,
  '--store',
  store,
];

/** A stage that sleeps `seconds` (checking its signal), then writes `text` + its input. */
const SLOW = `import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'slow', version: '1', description: 'sleeps, then writes',
  params: Type.Object({
    seconds: Type.Number({ description: 'Sleep.' }),
    text: Type.String({ description: 'Written.' }),
    input: Type.String({ default: '', description: 'Read first. Defaults to none.' }),
    out: Type.String({ description: 'Output.' }),
  }),
  inputs: (p) => (p.input ? [p.input] : []),
  outputs: (p) => [p.out],
  async run(ctx) {
    ctx.log('sleeping');
    ctx.progress('half way');
    await sleep(ctx.params.seconds * 1000, undefined, { signal: ctx.signal });
    const prev = ctx.params.input ? readFileSync(ctx.path(ctx.params.input), 'utf8') : '';
    writeFileSync(ctx.out(ctx.params.out), prev + ctx.params.text);
  },
});
`;

describe('bullmq executor', () => {
  it('a 4-way matrix runs each stage exactly once across two workers, from the store; a second run is all cached', async () => {
    const dir = tempProject({
      'concat.ts': concatStage({ name: 'concat', transform: 'await new Promise((r) => setTimeout(r, 300));' }),
      'data/in.txt': 'in;',
      'p.yaml': `stages:
  sweep:
    matrix: { a: [x, y], b: [1, 2] }
    uses: ./concat.ts
    with: { inputs: [data/in.txt], text: "\${item.a}\${item.b}", out: "out/\${item.a}\${item.b}.txt" }
  join: { cmd: "cat out/x1.txt out/x2.txt out/y1.txt out/y2.txt > all.txt", shell: true, deps: [out/x1.txt, out/x2.txt, out/y1.txt, out/y2.txt], outs: [all.txt] }
`,
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'concat.ts', 'p.yaml'];
    const workers = [
      await startWorker(checkout(dir, code), 'matrix'),
      await startWorker(checkout(dir, code), 'matrix'),
    ];
    const r = await cli(['run', 'p.yaml', ...queueArgs('matrix', store)], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.ran.sort()).toEqual(['join', 'sweep@x-1', 'sweep@x-2', 'sweep@y-1', 'sweep@y-2']);
    expect(readFileSync(path.join(dir, 'all.txt'), 'utf8')).toBe('in;x1in;x2in;y1in;y2');
    const ran = workers.flatMap(done).sort();
    expect(ran).toEqual(['join', 'sweep@x-1', 'sweep@x-2', 'sweep@y-1', 'sweep@y-2']); // each exactly once
    expect(workers.every((w) => done(w).length > 0)).toBe(true); // fanned out
    // Logs streamed back, kept in logs/<pipeline>/<stage>.log; the worker's checkout got its input from the store.
    const log = readFileSync(path.join(dir, 'logs/p/sweep@x-1.log'), 'utf8');
    expect(log).toMatch(/# on worker \S+:\d+/);
    expect(log).toContain('wrote out/x1.txt');
    const lines = (w: WorkerProc) => existsSync(path.join(w.dir, 'data/in.txt'));
    expect(workers.filter(lines).length).toBeGreaterThan(0);
    const again = await cli(['run', 'p.yaml', ...queueArgs('matrix', store)], dir);
    expect(again.code).toBe(0);
    expect(again.ran).toEqual([]);
    expect(again.skipped.sort()).toEqual(['join', 'sweep@x-1', 'sweep@x-2', 'sweep@y-1', 'sweep@y-2']);
    expect(workers.flatMap(done)).toHaveLength(5);
    for (const w of workers) w.proc.kill('SIGTERM');
  });

  it('SIGKILL a worker mid-job: the stalled job is re-queued and finishes on the other worker with correct outputs', async () => {
    const dir = tempProject({
      'slow.ts': SLOW,
      'p.yaml':
        'stages:\n  first: { uses: ./slow.ts, with: { seconds: 0, text: "1;", out: a.txt } }\n  long: { uses: ./slow.ts, with: { seconds: 3, text: "2;", input: a.txt, out: b.txt } }\n',
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'slow.ts', 'p.yaml'];
    const workers = [await startWorker(checkout(dir, code), 'kill'), await startWorker(checkout(dir, code), 'kill')];
    const run = startCli(['run', 'p.yaml', ...queueArgs('kill', store)], dir);
    procs.push(run);
    const victim = await Promise.race(workers.map((w) => w.waitFor(/^▶ long/m, 30_000).then(() => w)));
    victim.proc.kill('SIGKILL');
    const r = await run;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(0);
    const survivor = workers.find((w) => w !== victim)!;
    expect(done(survivor)).toContain('long');
    expect(readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('1;2;');
    expect(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')).toContain('long:');
    survivor.proc.kill('SIGTERM');
  });

  it('Redis stops mid-run: the run fails cleanly with the lock intact; after Redis returns a rerun does only what is missing', async () => {
    const dir = tempProject({
      'slow.ts': SLOW,
      'p.yaml': `stages:
  a: { uses: ./slow.ts, with: { seconds: 0, text: "a;", out: a.txt } }
  b: { uses: ./slow.ts, with: { seconds: 3, text: "b;", input: a.txt, out: b.txt } }
  c: { uses: ./slow.ts, with: { seconds: 0, text: "c;", input: b.txt, out: c.txt } }
`,
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const worker = await startWorker(checkout(dir, ['package.json', 'slow.ts', 'p.yaml']), 'down');
    const run = startCli(['run', 'p.yaml', ...queueArgs('down', store)], dir);
    procs.push(run);
    await worker.waitFor(/^▶ b/m, 30_000);
    await redis.kill();
    const r = await run;
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/✖ stage b: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+/);
    const lock = readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8');
    expect(lock).toContain('a:');
    expect(lock).not.toMatch(/^ {2}b:/m);
    expect(existsSync(path.join(dir, 'b.txt'))).toBe(false);
    await redis.restart();
    const again = await cli(['run', 'p.yaml', ...queueArgs('down', store)], dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.skipped).toEqual(['a']);
    expect(again.ran.sort()).toEqual(['b', 'c']);
    expect(readFileSync(path.join(dir, 'c.txt'), 'utf8')).toBe('a;b;c;');
    worker.proc.kill('SIGTERM');
  });

  it('a worker without the resources a stage needs never takes it; one that has them does', async () => {
    const dir = tempProject({
      'slow.ts': SLOW,
      'p.yaml':
        'stages:\n  gpu: { uses: ./slow.ts, resources: { gpu: 1 }, with: { seconds: 0, text: "g", out: g.txt } }\n',
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'slow.ts', 'p.yaml'];
    const cpuOnly = await startWorker(checkout(dir, code), 'res', ['--resources', 'cpu=4,gpu=0']);
    const run = startCli(['run', 'p.yaml', ...queueArgs('res', store)], dir);
    procs.push(run);
    await new Promise((r) => setTimeout(r, 2500)); // queued, and visible to cpuOnly's discovery (every 1 s)
    expect(cpuOnly.out()).not.toMatch(/▶ gpu|listening on res\.c1g1/);
    expect(existsSync(path.join(dir, 'g.txt'))).toBe(false);
    const withGpu = await startWorker(checkout(dir, code), 'res', ['--resources', 'cpu=4,gpu=1']);
    const r = await run;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(0);
    expect(done(withGpu)).toEqual(['gpu']);
    expect(cpuOnly.out()).not.toMatch(/▶ gpu|listening on res\.c1g1/);
    expect(readFileSync(path.join(dir, 'g.txt'), 'utf8')).toBe('g');
    for (const w of [cpuOnly, withGpu]) w.proc.kill('SIGTERM');
  });

  it('Ctrl-C on the runner stops the running job on its worker, removes the queued ones, and leaves the lock valid', async () => {
    const dir = tempProject({
      'slow.ts': SLOW,
      'p.yaml': `stages:
  done: { uses: ./slow.ts, with: { seconds: 0, text: "d", out: d.txt } }
  s1: { uses: ./slow.ts, needs: [done], with: { seconds: 20, text: "1", out: s1.txt } }
  s2: { uses: ./slow.ts, needs: [done], with: { seconds: 20, text: "2", out: s2.txt } }
  s3: { uses: ./slow.ts, needs: [done], with: { seconds: 20, text: "3", out: s3.txt } }
`,
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const worker = await startWorker(checkout(dir, ['package.json', 'slow.ts', 'p.yaml']), 'cancel');
    const run = startCli(['run', 'p.yaml', ...queueArgs('cancel', store)], dir);
    procs.push(run);
    await worker.waitFor(/^▶ s\d/m, 30_000);
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode).toBe(130);
    await worker.waitFor(/^■ \S+: cancelled by the runner/m, 10_000);
    await new Promise((res) => setTimeout(res, 1500));
    expect([...worker.out().matchAll(/^▶ s\d/gm)]).toHaveLength(1); // the queued two never started
    const lock = readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8');
    expect(lock).toMatch(/^ {2}done:/m);
    expect(lock).not.toMatch(/^ {2}s\d:/m);
    const again = await cli(['status', 'p.yaml'], dir); // the lock parses and says what is left
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('3 to run');
    worker.proc.kill('SIGTERM');
  });

  it('a worker listening on two resource classes runs only --concurrency jobs at once: the extra one goes back to the queue', async () => {
    const dir = tempProject({
      'slow.ts': SLOW,
      'p.yaml': `stages:
  cpu: { uses: ./slow.ts, with: { seconds: 1.5, text: "c", out: c.txt } }
  gpu: { uses: ./slow.ts, resources: { gpu: 1 }, with: { seconds: 1.5, text: "g", out: g.txt } }
`,
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const worker = await startWorker(checkout(dir, ['package.json', 'slow.ts', 'p.yaml']), 'budget', [
      '--resources',
      'cpu=1,gpu=1',
      '--concurrency',
      '1',
    ]);
    const r = await cli(['run', 'p.yaml', ...queueArgs('budget', store)], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const events = [...worker.out().matchAll(/^([▶✔]) (\S+)/gm)].map((m) => `${m[1]}${m[2]}`);
    expect(events).toHaveLength(4);
    expect(worker.out()).toMatch(/^↩ (cpu|gpu): busy here \(1 running\), back to the queue$/m);
    expect(events[0]!.slice(1)).toBe(events[1]!.slice(1)); // one finished before the other started
    expect(events[0]![0]).toBe('▶');
    expect(events[1]![0]).toBe('✔');
    expect(readFileSync(path.join(dir, 'g.txt'), 'utf8') + readFileSync(path.join(dir, 'c.txt'), 'utf8')).toBe('gc');
    worker.proc.kill('SIGTERM');
  });
});
