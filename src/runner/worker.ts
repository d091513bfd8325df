/**
 * The stage worker: a child process that imports one stage module, builds its context and
 * runs it, reporting over IPC. Started by LocalProcessExecutor through bin/stage-worker.js.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStageDefinition, type StageContext } from '../stage/define.ts';
import type { WorkerJob, WorkerMessage } from './worker-protocol.ts';

function send(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

/** Maps a declared output (or a path inside one) to where the stage must write it. */
function outPath(job: WorkerJob, declared: string): string {
  const norm = path.posix.normalize(declared.replace(/\\/g, '/')).replace(/\/$/, '');
  for (const [out, tmp] of Object.entries(job.outputs)) {
    if (norm === out) {
      mkdirSync(path.dirname(tmp), { recursive: true });
      return tmp;
    }
    if (norm.startsWith(`${out}/`)) {
      const p = path.join(tmp, norm.slice(out.length + 1));
      mkdirSync(path.dirname(p), { recursive: true });
      return p;
    }
  }
  throw new Error(`ctx.out("${declared}"): not a declared output of stage ${job.id} (outputs: ${Object.keys(job.outputs).join(', ') || 'none'})`);
}

async function runJob(job: WorkerJob): Promise<void> {
  const controller = new AbortController();
  process.on('SIGTERM', () => {
    controller.abort();
    setTimeout(() => process.exit(143), 1000).unref();
  });
  const mod = (await import(pathToFileURL(job.modulePath).href)) as { default?: unknown };
  if (!isStageDefinition(mod.default)) throw new Error(`${job.modulePath} does not default-export a stage`);
  const def = mod.default;
  const ctx: StageContext<Record<string, unknown>> = {
    id: job.id,
    params: job.params,
    cwd: job.cwd,
    out: (declared) => outPath(job, declared),
    path: (rel) => path.resolve(job.cwd, rel),
    log: (line) => void send({ type: 'log', line: String(line) }),
    progress: (message) => void send({ type: 'progress', message: String(message) }),
    signal: controller.signal,
  };
  const result = await def.run(ctx as never);
  await send({ type: 'done', metrics: result?.metrics });
}

// Ctrl-C in a terminal reaches the whole process group; the runner answers it by sending SIGTERM,
// which aborts ctx.signal, so the stage gets the same orderly stop either way.
process.on('SIGINT', () => {});

let finished = false;
// The runner is gone (killed): stop at once, never finish an output nobody will move into place.
process.on('disconnect', () => {
  if (!finished) process.exit(1);
});
/**
 * Releases what the TensorFlow.js engine holds (Dawn's GPU object under WebGPU) before the exit,
 * so no native teardown races process.exit. Only when the stage loaded TensorFlow.js (tfjs-core
 * keeps its engine in `globalThis._tfengine`): then src/engine/index.ts is loaded or cheap to load;
 * a stage that never touched tf pays nothing.
 */
async function releaseEngine(): Promise<void> {
  if ((globalThis as { _tfengine?: unknown })._tfengine == null) return;
  try {
    const { shutdownEngine } = await import('../engine/index.ts');
    shutdownEngine();
  } catch {
    // exiting anyway
  }
}

process.once('message', (job: WorkerJob) => {
  // Exit explicitly once reported: a stage may leave handles open (thread pools, timers), and the
  // runner waits for this process to close. (stdout/stderr are pipes: writes are synchronous on Linux.)
  runJob(job).then(
    async () => {
      await releaseEngine();
      finished = true;
      process.exit(0);
    },
    async (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      await send({ type: 'error', message: e.message, stack: e.stack });
      await releaseEngine();
      finished = true;
      process.exit(1);
    },
  );
});
