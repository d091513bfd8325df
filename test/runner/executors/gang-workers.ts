/**
 * Helpers of the gang tests: real `mlc-pipe worker` processes (each in its own checkout of the
 * project, MLC_DIST_HOST=127.0.0.1) on a real Redis, and the process tree under a worker.
 */
import { execa, type ResultPromise } from 'execa';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../project.ts';
export { descendants } from '../../processes.ts';

type Proc = ResultPromise<{ reject: false; env: Record<string, string> }>;

export interface WorkerProc {
  proc: Proc;
  dir: string;
  /** Everything it printed so far. */
  out(): string;
  /** Resolves when its output matches. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

/** Every process started here, for the afterAll clean-up. */
export const started: Proc[] = [];

/** Kills (SIGKILL) whatever is still running. */
export async function killStarted(): Promise<void> {
  for (const p of started) p.kill('SIGKILL');
  await Promise.allSettled(started);
}

/** A checkout of `project` for a worker: its code files, no data, no outputs. */
export function checkout(project: string, files: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-gang-worker-'));
  for (const f of files) cpSync(path.join(project, f), path.join(dir, f));
  return dir;
}

/** `mlc-pipe <args>` in `cwd`, not waited for. */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  const p = execa('node', [CLI, ...args], { cwd, reject: false, env: { CI: '1', ...env } });
  started.push(p);
  return p;
}

/** Starts a worker on `redis`/`queue` in `dir`; resolves once it listens. */
export async function startWorker(
  redis: string,
  dir: string,
  queue: string,
  extra: string[] = [],
): Promise<WorkerProc> {
  // Generous locks: on a loaded machine a short one would let BullMQ think a busy worker died.
  const args = ['worker', '--redis', redis, '--queue', queue, '--lock-duration', '20000', '--stalled-interval', '5000'];
  const proc = startCli([...args, ...extra], dir, { MLC_DIST_HOST: '127.0.0.1' });
  let text = '';
  const waiters: { re: RegExp; resolve(): void }[] = [];
  const onData = (c: Buffer) => {
    text += c.toString();
    for (const w of [...waiters])
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const w: WorkerProc = {
    proc,
    dir,
    out: () => text,
    waitFor: (re, ms = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(text)) return resolve();
        const t = setTimeout(() => reject(new Error(`worker output never matched ${re}:\n${text}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
  await w.waitFor(/^worker .*gang address 127\.0\.0\.1/m);
  return w;
}

/** The `--executor bullmq` flags of a run. */
export const queueArgs = (redis: string, queue: string, store: string) => [
  '--executor',
  'bullmq',
  '--redis',
  redis,
  '--queue',
  queue,
  '--store',
  store,
];
