/**
 * Executors run one stage. `LocalProcessExecutor` runs module stages in a child Node process
 * (bin/stage-worker.js: tsx + src/runner/worker.ts, messages over IPC) and cmd stages through
 * execa, so no stage shares the runner's process. A distributed executor implements the same
 * interface.
 */
import { fork } from 'node:child_process';
import { StageError } from '../errors.ts';
import type { StageNode } from '../pipeline/types.ts';
import type { StageResult } from '../stage/define.ts';
import { fromPackageRoot } from '../stage/package-root.ts';
import type { WorkerJob, WorkerMessage } from './worker-protocol.ts';

export interface StageJob {
  node: StageNode;
  /** Absolute pipeline folder (the stage's cwd). */
  dir: string;
  /** Declared output → absolute temp path to write it to (module stages). */
  tempOutputs: Record<string, string>;
  /** A line for the stage log. */
  log(line: string): void;
  /** A transient status line. */
  progress(message: string): void;
  /** Aborted on Ctrl-C / cancel: the executor stops the stage. */
  signal: AbortSignal;
}

export interface Executor {
  /** Runs the stage; resolves with its result or rejects with a StageError. */
  run(job: StageJob): Promise<StageResult>;
}

export interface LocalProcessExecutorOptions {
  /** Seconds between SIGTERM and SIGKILL when a stage is stopped. Defaults to 3. */
  killGraceSeconds?: number;
}

const WORKER = fromPackageRoot('bin', 'stage-worker.js');

/** Splits a stream into lines and hands each to `emit`. */
function lineSplitter(emit: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString();
      const lines = text.split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) emit(l);
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

export class LocalProcessExecutor implements Executor {
  private readonly graceMs: number;

  constructor(options: LocalProcessExecutorOptions = {}) {
    this.graceMs = (options.killGraceSeconds ?? 3) * 1000;
  }

  run(job: StageJob): Promise<StageResult> {
    return job.node.kind === 'cmd' ? this.runCmd(job) : this.runModule(job);
  }

  private runModule(job: StageJob): Promise<StageResult> {
    const node = job.node;
    if (node.kind !== 'module') throw new Error('unreachable');
    return new Promise<StageResult>((resolve, reject) => {
      if (job.signal.aborted) {
        reject(new StageError(node.id, 'cancelled before it started'));
        return;
      }
      const child = fork(WORKER, [], {
        cwd: job.dir,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: [],
        serialization: 'advanced',
        env: { ...process.env, MLC_STAGE_ID: node.id },
      });
      let result: StageResult | undefined;
      let failure: { message: string; stack?: string } | undefined;
      const out = lineSplitter(job.log);
      const err = lineSplitter(job.log);
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), this.graceMs);
        killTimer.unref();
      };
      job.signal.addEventListener('abort', onAbort, { once: true });
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'log') job.log(m.line);
        else if (m.type === 'progress') job.progress(m.message);
        else if (m.type === 'done') result = { metrics: m.metrics };
        else if (m.type === 'error') failure = { message: m.message, stack: m.stack };
      });
      child.on('error', (e) => {
        failure ??= { message: `cannot start the stage worker: ${e.message}` };
      });
      child.on('close', (code, signal) => {
        out.end();
        err.end();
        job.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        if (result && code === 0) return resolve(result);
        if (job.signal.aborted) return reject(new StageError(node.id, 'stopped (interrupted)'));
        if (failure) {
          if (failure.stack) job.log(failure.stack);
          const cause = Object.assign(new Error(failure.message), { stack: failure.stack });
          return reject(new StageError(node.id, failure.message, { cause, hint: 'see the stage log for the stack trace' }));
        }
        reject(new StageError(node.id, `worker exited ${signal ? `on ${signal}` : `with code ${code}`} before finishing`, { hint: 'see the stage log' }));
      });
      const msg: WorkerJob = { type: 'run', id: node.id, modulePath: node.modulePath, params: node.params, cwd: job.dir, outputs: job.tempOutputs };
      child.send(msg);
    });
  }

  private async runCmd(job: StageJob): Promise<StageResult> {
    const node = job.node;
    if (node.kind !== 'cmd') throw new Error('unreachable');
    const { execa, parseCommandString } = await import('execa');
    const argv = Array.isArray(node.cmd) ? node.cmd : node.shell ? [node.cmd] : parseCommandString(node.cmd);
    const env: Record<string, string> = { ...node.env, MLC_STAGE_ID: node.id, MLC_PARAMS: JSON.stringify(node.params) };
    for (const [k, v] of Object.entries(node.params)) {
      env[`MLC_PARAM_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    job.log(`$ ${argv.join(' ')}`);
    const sub = execa(argv[0]!, argv.slice(1), {
      cwd: job.dir,
      shell: node.shell,
      env,
      timeout: node.timeout !== undefined ? node.timeout * 1000 : undefined,
      cancelSignal: job.signal,
      forceKillAfterDelay: this.graceMs,
      reject: false,
      stdin: 'ignore',
      buffer: false,
    });
    const out = lineSplitter(job.log);
    const err = lineSplitter(job.log);
    sub.stdout?.on('data', (c: Buffer) => out.push(c));
    sub.stderr?.on('data', (c: Buffer) => err.push(c));
    const r = await sub;
    out.end();
    err.end();
    if (!r.failed) return {};
    const why = r.timedOut
      ? `timed out after ${node.timeout}s`
      : r.isCanceled
        ? 'stopped (interrupted)'
        : r.exitCode !== undefined
          ? `command exited with code ${r.exitCode}`
          : `command failed: ${r.shortMessage}`;
    throw new StageError(node.id, `${why}: ${argv.join(' ')}`, { cause: r, hint: 'see the stage log for its output' });
  }
}
