/**
 * The child side of LocalProcessExecutor: receives one job over IPC, hands it to the stage host
 * (`runStage`) and relays the host's `io` calls and the result back, then exits. Started through
 * bin/stage-worker.js, which registers TypeScript loading and passes `beforeExit` (the engine
 * release, so no native teardown races process.exit).
 */
import { MlcPipeError, StageError } from '../../../errors.ts';
import { runStage } from '../../../host/run-stage.ts';
import type { ChildMessage, ErrorPayload, RunMessage } from './protocol.ts';

export interface ProcessWorkerOptions {
  /** Runs after the job, success or failure, before the process exits. Defaults to nothing. */
  beforeExit?: () => Promise<void>;
}

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

function payload(err: unknown, id: string): ErrorPayload {
  const e = err instanceof Error ? err : new Error(String(err));
  const prefix = `stage ${id}: `;
  const message = e instanceof StageError && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  return {
    message,
    stack: e.stack,
    hint: e instanceof MlcPipeError ? e.hint : undefined,
    refused: e instanceof MlcPipeError && e.exitCode === 2,
  };
}

/** Serves one job from the parent process, then exits (0 after success, 1 after failure). */
export function serveOneJob(options: ProcessWorkerOptions = {}): void {
  const controller = new AbortController();
  process.on('SIGTERM', () => {
    controller.abort();
    setTimeout(() => process.exit(143), 1000).unref();
  });
  // Ctrl-C in a terminal reaches the whole process group; the runner answers it by sending SIGTERM,
  // which aborts the signal, so the stage gets the same orderly stop either way.
  process.on('SIGINT', () => {});
  let finished = false;
  // The runner is gone (killed): stop at once, never finish an output nobody will move into place.
  process.on('disconnect', () => {
    if (!finished) process.exit(1);
  });
  const exit = async (code: number) => {
    try {
      await options.beforeExit?.();
    } catch {
      // exiting anyway
    }
    finished = true;
    process.exit(code);
  };
  process.once('message', (m: RunMessage) => {
    const io = {
      log: (line: string) => void send({ type: 'log', line }),
      progress: (message: string) => void send({ type: 'progress', message }),
      output: (declared: string, path: string) => void send({ type: 'output', declared, path }),
      signal: controller.signal,
    };
    // Exit explicitly once reported: a stage may leave handles open (thread pools, timers), and the
    // runner waits for this process to close. (stdout/stderr are pipes: writes are synchronous on Linux.)
    runStage(m.job, io).then(
      async (result) => {
        await send({ type: 'done', result });
        await exit(0);
      },
      async (err: unknown) => {
        await send({ type: 'error', error: payload(err, m.job.id) });
        await exit(1);
      },
    );
  });
}
