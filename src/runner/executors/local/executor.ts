/**
 * `LocalProcessExecutor` runs module stages in a child Node process (bin/stage-worker.js →
 * src/runner/executors/local/worker.ts, messages over IPC) and cmd stages through the host in this
 * process (execa gives the command its own process), so no stage shares the runner's process.
 */
import { fork } from 'node:child_process';
import { StageError } from '../../../errors.ts';
import { processEnvironment } from '../../../environment.ts';
import type { HostedResult, StageIO, StageJob } from '../../../host/job.ts';
import { runStage } from '../../../host/run-stage.ts';
import { fromPackageRoot } from '../../../package-root.ts';
import type { ChildMessage, ErrorPayload, RunMessage } from './protocol.ts';
import { lineSplitter } from '../../../host/lines.ts';
import { killGroup, stopGroup, trackGroup } from '../../../host/process-group.ts';
import type { Executor } from '../executor.ts';

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
          return reject(
            new StageError(job.id, failure.message, {
              cause,
              hint: failure.hint ?? 'see the stage log for the stack trace',
              refused: failure.refused,
            }),
          );
        }
        if (code === 13) {
          // Node's exit code for a top-level await that never settles: the module never finished loading.
          return reject(
            new StageError(job.id, 'its module never finished loading (a top-level await that never settles)', {
              hint: 'move blocking work from the module top level into run()',
            }),
          );
        }
        reject(
          new StageError(job.id, `worker exited ${signal ? `on ${signal}` : `with code ${code}`} before finishing`, {
            hint: 'see the stage log',
          }),
        );
      });
      const msg: RunMessage = { type: 'run', job };
      child.send(msg);
    });
  }
}
