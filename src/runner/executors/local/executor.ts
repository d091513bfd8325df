/**
 * Executors are transports to the stage host (src/host): each carries a `StageJob` to where it
 * runs, has `runStage(job, io)` run it there, and carries `io` and the result back.
 *
 * `LocalProcessExecutor` runs module stages in a child Node process (bin/stage-worker.js →
 * src/runner/executors/local/worker.ts, messages over IPC) and cmd stages through the host in this
 * process (execa gives the command its own process), so no stage shares the runner's process.
 * A queue executor implements the same interface with a queue as the transport.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { StageError } from '../../../errors.ts';
import { processEnvironment } from '../../../environment.ts';
import type { HostedResult, StageIO, StageJob } from '../../../host/job.ts';
import { runStage } from '../../../host/run-stage.ts';
import type { StageNode } from '../../../pipeline/types.ts';
import { fromPackageRoot } from '../../../package-root.ts';
import type { ChildMessage, ErrorPayload, RunMessage } from './protocol.ts';
import { lineSplitter } from '../../../host/lines.ts';
import { killGroup, stopGroup, trackGroup } from '../../../host/process-group.ts';
import type { StageLimits } from '../../stage-limits.ts';

export interface Executor {
  /**
   * Runs the job; resolves with its result or rejects with a StageError. Honours `io.signal`.
   * `limits` (resources, timeout, retries) is what a scheduling transport needs to place the job.
   */
  run(job: StageJob, io: StageIO, limits?: StageLimits): Promise<HostedResult>;
  /** The executor itself retries failed jobs (`limits.retries`) and enforces `limits.timeout`. Defaults to false. */
  readonly retriesNatively?: boolean;
  /** Releases connections; the runner calls it after the run of an executor it made. */
  close?(): Promise<void>;
}

/**
 * The job for one planned stage: `dir` is the working folder, `tempOutputs` the temp path of each
 * output of a module stage (a cmd stage writes in place), `code` the code identity hash, `inputHashes`
 * the content hash of each input (with code and params: the run-cache key), `cpus` the CPU slots granted.
 */
export function jobFor(node: StageNode, dir: string, tempOutputs: Record<string, string>, code: string, inputHashes: Record<string, string | null>, cpus?: number): StageJob {
  const base = { id: node.id, params: node.params, cwd: dir, inputs: [...node.inputs], inputHashes: { ...inputHashes }, cpus };
  if (node.kind === 'module') {
    return { ...base, kind: 'module', module: { uses: node.uses, path: node.modulePath }, ...(node.cacheNeutral?.length ? { cacheNeutral: [...node.cacheNeutral] } : {}), outputs: { ...tempOutputs }, code: { hash: code, version: node.version } };
  }
  const outputs = Object.fromEntries(node.outputs.map((o) => [o, path.resolve(dir, o)]));
  return { ...base, kind: 'cmd', cmd: node.cmd, shell: node.shell, env: { ...node.env }, timeout: node.timeout, outputs, code: { hash: code } };
}

export interface LocalProcessExecutorOptions {
  /** Seconds between SIGTERM and SIGKILL when a stage is stopped. Defaults to 3. */
  killGraceSeconds?: number;
}

const WORKER = fromPackageRoot('bin', 'stage-worker.js');

export class LocalProcessExecutor implements Executor {
  private readonly graceMs: number;

  constructor(options: LocalProcessExecutorOptions = {}) {
    this.graceMs = (options.killGraceSeconds ?? 3) * 1000;
  }

  run(job: StageJob, io: StageIO): Promise<HostedResult> {
    return job.kind === 'cmd' ? runStage(job, io, { killGraceMs: this.graceMs }) : this.runInChild(job, io);
  }

  private runInChild(job: StageJob, io: StageIO): Promise<HostedResult> {
    return new Promise<HostedResult>((resolve, reject) => {
      if (io.signal.aborted) {
        reject(new StageError(job.id, 'cancelled before it started'));
        return;
      }
      const child = fork(WORKER, [], {
        cwd: job.cwd,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: [],
        serialization: 'advanced',
        env: { ...processEnvironment(), MLC_STAGE_ID: job.id },
        detached: true, // its own process group: a stop ends whatever the stage started too
      });
      const untrack = child.pid !== undefined ? trackGroup(child.pid) : () => {};
      let result: HostedResult | undefined;
      let failure: ErrorPayload | undefined;
      const out = lineSplitter(io.log);
      const err = lineSplitter(io.log);
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      let cancelKill: (() => void) | undefined;
      const onAbort = () => {
        if (child.pid !== undefined) cancelKill = stopGroup(child.pid, this.graceMs);
      };
      io.signal.addEventListener('abort', onAbort, { once: true });
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'log') io.log(m.line);
        else if (m.type === 'progress') io.progress(m.message);
        else if (m.type === 'output') io.output?.(m.declared, m.path);
        else if (m.type === 'done') result = m.result;
        else if (m.type === 'error') failure = m.error;
      });
      child.on('error', (e) => {
        failure ??= { message: `cannot start the stage worker: ${e.message}` };
      });
      child.on('close', (code, signal) => {
        out.end();
        err.end();
        io.signal.removeEventListener('abort', onAbort);
        if (cancelKill && child.pid !== undefined) {
          cancelKill();
          killGroup(child.pid, 'SIGKILL'); // what the stage started and left behind
        }
        untrack();
        if (result && code === 0) return resolve(result);
        if (io.signal.aborted) return reject(new StageError(job.id, 'stopped (interrupted)'));
        if (failure) {
          if (failure.stack) io.log(failure.stack);
          const cause = Object.assign(new Error(failure.message), { stack: failure.stack });
          return reject(new StageError(job.id, failure.message, { cause, hint: failure.hint ?? 'see the stage log for the stack trace', refused: failure.refused }));
        }
        if (code === 13) {
          // Node's exit code for a top-level await that never settles: the module never finished loading.
          return reject(new StageError(job.id, 'its module never finished loading (a top-level await that never settles)', { hint: 'move blocking work from the module top level into run()' }));
        }
        reject(new StageError(job.id, `worker exited ${signal ? `on ${signal}` : `with code ${code}`} before finishing`, { hint: 'see the stage log' }));
      });
      const msg: RunMessage = { type: 'run', job };
      child.send(msg);
    });
  }
}
