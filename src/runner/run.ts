/**
 * `runPipeline(file, options)`: load, plan, then run the plan through an executor and the
 * scheduler. Every finished stage is recorded in the lock file at once (atomically), so an
 * interrupted run keeps what finished; a failed or killed stage is never recorded (its partial
 * outputs are kept in `.mlc/failed/<id>/` for a look).
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { MlcPipeError, StageError } from '../errors.ts';
import type { StageRegistry } from '../stage/define.ts';
import type { ParamOverride } from '../pipeline/load.ts';
import type { StageNode } from '../pipeline/types.ts';
import { workingDir } from '../pipeline/wdir.ts';
import { jobFor, LocalProcessExecutor, type Executor } from './executors/local/executor.ts';
import { projectRoot, resolveExecution, type Execution, type ExecutionFlags } from './executors/settings.ts';
import { RunCache } from './store/run-cache.ts';
import { limitsOf, runWithRetries, runWithTimeout } from './stage-limits.ts';
import { writeLock, type LockEntry } from './lock/lock-file.ts';
import { assertInside, failedDir, keepFailedOutputs, outputError, prepareOutputs, shownPath, swapIntoPlace, writtenOutputs, type Swap } from './outputs.ts';
import { acquireRunLock } from './lock/pid-lock.ts';
import { decideStage, planRun, selectStages, type PlannedStage, type StageState } from './plan/plan.ts';
import { silentReporter, type RunReporter, type StageEnd } from './render/reporter.ts';
import { CONSOLE_PREFIX } from '../entry-io.ts';
import { schedule } from './scheduler.ts';
import { checkTargets, openWorkspace, stageState, stageStates, type Workspace } from './workspace.ts';

export interface RunOptions {
  /** `-S key=value` overrides. Defaults to []. */
  overrides?: readonly string[];
  /** Params for every stage that has them (the CLI's `--engine`, `--threads`). Defaults to []. */
  paramOverrides?: readonly ParamOverride[];
  /** Stage ids to run (plus their out-of-date upstream). Defaults to all. */
  targets?: readonly string[];
  /** Also run everything downstream of the targets. Defaults to false. */
  downstream?: boolean;
  /** Run selected stages even when up to date. Defaults to false. */
  force?: boolean;
  /** Plan only. Defaults to false. */
  dryRun?: boolean;
  /** Concurrent CPU slots. Defaults to the CPU count. */
  jobs?: number;
  /** GPUs available; 0 does not enforce GPU requests. Defaults to 0. */
  gpus?: number;
  /** After a failure, run what does not depend on it. Defaults to false. */
  keepGoing?: boolean;
  /** Where progress goes. Defaults to silent. */
  reporter?: RunReporter;
  /** What `uses: <name>` resolves to. Defaults to the built-in stages. */
  stages?: StageRegistry;
  /** How stages run. Defaults to what `execution` selects: a LocalProcessExecutor, or a BullmqExecutor. */
  executor?: Executor;
  /** `--executor`, `--redis`, `--queue`, `--store` (over MLC_* variables, over the pipeline's keys). Defaults to {}. */
  execution?: ExecutionFlags;
  /** Abort to stop (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunSummary {
  plan: PlannedStage[];
  /** Final status of each planned stage (empty for a dry run). */
  results: Map<string, StageEnd>;
  failed: string[];
  /** The first failure's error per failed stage. */
  errors: Map<string, unknown>;
  interrupted: boolean;
  lockFile: string;
  /** Absolute folder of the stage logs (`<working folder>/logs/<pipeline name>`). */
  logDir: string;
  /** Non-fatal problems (e.g. imports the code identity could not follow). */
  warnings: string[];
}

/** Plans the pipeline (what `status` and `--dry-run` print). */
export async function planPipeline(file: string, options: RunOptions = {}): Promise<{ ws: Workspace; plan: PlannedStage[]; execution: Execution }> {
  const ws = await openWorkspace(file, { overrides: options.overrides, stages: options.stages, paramOverrides: options.paramOverrides });
  const execution = resolveExecution(ws.pipeline.execution, options.execution);
  // Queued stages are stored where every worker reads: the shared store is then the run-cache.
  if (execution.executor === 'bullmq') ws.runCache = new RunCache(ws.pipeline.dir, execution.store);
  const targets = checkTargets(ws, options.targets ?? []);
  const flags = { targets, downstream: options.downstream, force: options.force };
  const { selected } = selectStages(ws.graph, flags);
  const states = await stageStates(ws, ws.graph.order.filter((id) => selected.has(id)));
  const plan = planRun(ws.graph, ws.lock, states, flags).stages;
  ws.hashes.save();
  ws.code.save();
  return { ws, plan, execution };
}

/** A failed move of outputs into place as a StageError naming the output and the cause (EBUSY, EROFS…). */
function movedError(ws: Workspace, node: StageNode, moves: readonly { from: string; target: string }[], err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (err instanceof MlcPipeError || !e.code) return err as Error;
  const m = moves.find((x) => [x.from, x.target].some((p) => e.path === p || e.dest === p)) ?? moves[0];
  const o = m ? path.relative(ws.pipeline.dir, m.target) : node.outputs[0] ?? '';
  return outputError(node, o, 'move into place', m?.target ?? ws.pipeline.dir, err);
}

function logDir(ws: Workspace): string {
  return path.join(ws.pipeline.dir, 'logs', ws.pipeline.name);
}

function openLog(ws: Workspace, id: string): { write(line: string): void; close(): void } {
  const file = path.join(logDir(ws), `${id}.log`);
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  return {
    write: (line) => writeSync(fd, `${line}\n`),
    close: () => closeSync(fd),
  };
}

/** Runs the pipeline (one run per pipeline file at a time). */
export async function runPipeline(file: string, options: RunOptions = {}): Promise<RunSummary> {
  const release = options.dryRun ? () => {} : acquireRunLock(path.join(workingDir(file), '.mlc'), file);
  try {
    const { ws, plan, execution } = await planPipeline(file, options);
    const summary: RunSummary = { plan, results: new Map(), failed: [], errors: new Map(), interrupted: false, lockFile: ws.lockFile, logDir: logDir(ws), warnings: [...ws.code.warnings] };
    if (options.dryRun) return summary;
    const executor: Executor = options.executor ?? (execution.executor === 'bullmq' ? await queueExecutor(ws, execution) : new LocalProcessExecutor());
    try {
      return await execute(ws, plan, summary, { ...options, executor }, execution.executor === 'bullmq');
    } finally {
      if (!options.executor) await executor.close?.();
    }
  } finally {
    release();
  }
}

/** The bullmq executor of a run: the shared store, the working folder's hashes and the project root. */
async function queueExecutor(ws: Workspace, execution: Execution): Promise<Executor> {
  const { BullmqExecutor } = await import('./executors/bullmq/executor.ts');
  const codeFiles = new Map<string, string[]>();
  for (const n of ws.graph.stages.values()) if (n.kind === 'cmd') codeFiles.set(n.id, n.code);
  return new BullmqExecutor({
    redis: execution.redis!,
    queue: execution.queue,
    store: ws.runCache,
    hashes: ws.hashes,
    workingDir: ws.pipeline.dir,
    projectRoot: projectRoot(ws.pipeline.fileDir),
    codeFiles,
  });
}

/** Default cap on stages in flight with a queue executor (the workers' own limits apply too). */
const QUEUE_JOBS = 256;

/** The lock's `environment` field of a stage state: present when a declared variable is set. */
function environmentOf(state: StageState): Pick<LockEntry, 'environment'> {
  return state.environment && Object.keys(state.environment).length ? { environment: state.environment } : {};
}

async function execute(ws: Workspace, plan: PlannedStage[], summary: RunSummary, options: RunOptions, queued: boolean): Promise<RunSummary> {
  const reporter = options.reporter ?? silentReporter;
  const executor: Executor = options.executor ?? new LocalProcessExecutor();
  const targets = checkTargets(ws, options.targets ?? []);
  const { forced } = selectStages(ws.graph, { targets, downstream: options.downstream, force: options.force });
  const planned = new Map(plan.map((p) => [p.id, p]));
  const signal = options.signal ?? new AbortController().signal;
  const end = (id: string, e: StageEnd) => {
    summary.results.set(id, e);
    reporter.stageEnd(id, e);
  };
  /** Shows the engine and warnings a stage logs (CONSOLE_PREFIX) on the console too. */
  const toConsole = (id: string, line: string) => {
    if (line.startsWith(CONSOLE_PREFIX.engine)) reporter.stageEngine?.(id, line.slice(CONSOLE_PREFIX.engine.length));
    else if (line.startsWith(CONSOLE_PREFIX.warning)) {
      reporter.stageWarning?.(id, line.slice(CONSOLE_PREFIX.warning.length));
      summary.warnings.push(`${id}: ${line.slice(CONSOLE_PREFIX.warning.length)}`);
    }
  };
  /** Writes the lock with `entry` for `id`; on failure the lock (in memory too) is left as it was. */
  const record = (id: string, entry: LockEntry) => {
    const before = ws.lock.stages[id];
    ws.lock.stages[id] = entry;
    try {
      for (const old of Object.keys(ws.lock.stages)) if (!ws.graph.stages.has(old)) delete ws.lock.stages[old]; // stages no longer in the pipeline
      writeLock(ws.lockFile, ws.lock);
    } catch (err) {
      if (before === undefined) delete ws.lock.stages[id];
      else ws.lock.stages[id] = before;
      throw new StageError(id, `cannot write the lock file ${shownPath(ws.lockFile)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was recorded and the previous outputs are back in place`, {
        cause: err,
        hint: 'make the folder of the lock file writable (and free some space), then run again',
      });
    }
    ws.hashes.save();
  };

  const runOne = async (id: string): Promise<void> => {
    if (planned.get(id)!.action === 'skip') {
      // Up to date at planning time and every upstream was skipped too: nothing changed since.
      end(id, { status: 'skipped', detail: 'up to date' });
      return;
    }
    const node = ws.graph.stages.get(id)!;
    const state = await stageState(ws, node);
    const d = decideStage(ws.lock.stages[id], state, forced.has(id));
    if (d.action === 'skip') {
      end(id, { status: 'skipped', detail: 'up to date after upstream ran' });
      return;
    }
    let restoreProblem: string | undefined;
    if (d.action === 'restore') {
      const r = ws.runCache.checkout(state.key);
      if (r.status === 'checked-out') {
        let swap: Swap;
        try {
          for (const o of node.outputs) assertInside(ws, node, o);
          swap = swapIntoPlace(r.staged);
        } catch (err) {
          for (const s of r.staged) rmSync(s.from, { recursive: true, force: true });
          const e = movedError(ws, node, r.staged, err);
          summary.failed.push(id);
          summary.errors.set(id, e);
          end(id, { status: 'failed', detail: e.message });
          throw e;
        }
        try {
          record(id, { code: state.code, ...environmentOf(state), params: state.params, inputs: state.inputs, outputs: r.record.outputs, metrics: r.record.metrics, at: new Date().toISOString() });
        } catch (err) {
          swap.undo();
          for (const s of r.staged) rmSync(s.from, { recursive: true, force: true });
          summary.failed.push(id);
          summary.errors.set(id, err);
          end(id, { status: 'failed', detail: (err as Error).message });
          throw err;
        }
        swap.keep();
        end(id, { status: 'restored', detail: 'restored from run-cache' });
        return;
      }
      if (r.status === 'corrupt') {
        restoreProblem = `${id}: ${r.problem}; running the stage instead`;
        summary.warnings.push(restoreProblem);
      }
    }
    const reason = d.action === 'restore' ? d.reasons[1] ?? 'never run' : d.reason;
    reporter.stageStart(id, reason);
    const log = openLog(ws, id);
    const t0 = performance.now();
    const startedMs = Date.now();
    log.write(`# ${new Date().toISOString()} ${id}: ${reason}`);
    if (restoreProblem) log.write(`# warning: ${restoreProblem}`);
    let temps: Record<string, string> | undefined;
    try {
      temps = prepareOutputs(ws, node);
      const job = jobFor(node, ws.pipeline.dir, temps, state.code, state.inputs, Math.min(node.resources.cpu, options.jobs ?? os.availableParallelism()));
      const io = { log: (line: string) => (log.write(line), toConsole(id, line)), progress: (m: string) => reporter.stageProgress(id, m), signal };
      const limits = limitsOf(node);
      const result = executor.retriesNatively
        ? await executor.run(job, io, limits)
        : await runWithRetries((j, o) => runWithTimeout((jj, oo) => executor.run(jj, oo, limits), j, o, limits.timeout), job, io, limits.retries ?? 0, limits.retryDelay ?? 1);
      // Hash where the stage wrote, store in the run-cache, move into place, write the lock: a
      // failure at any step puts the previous outputs back and records nothing.
      const where = writtenOutputs(ws, node, temps, startedMs, log.write);
      const outputs: Record<string, string> = {};
      for (const [o, abs] of Object.entries(where)) outputs[o] = ws.hashes.hash(abs)!;
      const entry: LockEntry = { code: state.code, ...environmentOf(state), params: state.params, inputs: state.inputs, outputs, at: new Date().toISOString() };
      if (result.metrics) entry.metrics = result.metrics;
      const stored = ws.runCache.store(outputs, ws.hashes, where);
      let newRun = false;
      try {
        newRun = ws.runCache.record(state.key, { outputs, metrics: result.metrics, stage: id, template: node.template, pipeline: ws.pipeline.name, params: state.params, at: entry.at });
        const moves = Object.entries(where).map(([o, from]) => ({ from, target: path.resolve(ws.pipeline.dir, o) }));
        let swap: Swap;
        try {
          swap = swapIntoPlace(moves, node.kind === 'cmd' ? moves.map((m) => m.target) : []);
        } catch (err) {
          throw movedError(ws, node, moves, err);
        }
        try {
          record(id, entry);
        } catch (err) {
          swap.undo();
          throw err;
        }
        swap.keep();
      } catch (err) {
        ws.runCache.discard(stored, newRun ? state.key : undefined);
        throw err;
      }
      rmSync(failedDir(ws, id), { recursive: true, force: true }); // what an earlier failure kept is stale now
      const seconds = (performance.now() - t0) / 1000;
      log.write(`# done in ${seconds.toFixed(2)}s`);
      end(id, { status: 'ok', seconds });
    } catch (err) {
      const e = err instanceof MlcPipeError ? err : new StageError(id, (err as Error).message ?? String(err), { cause: err });
      const kept = temps ? keepFailedOutputs(ws, node, temps) : []; // not prepared: nothing was moved
      if (kept.length) e.message += ` (partial outputs kept in ${shownPath(failedDir(ws, id))}: ${kept.join(', ')})`;
      log.write(`# failed: ${e.message}`);
      summary.failed.push(id);
      summary.errors.set(id, e);
      end(id, { status: 'failed', detail: e.message, seconds: (performance.now() - t0) / 1000 });
      throw e;
    } finally {
      log.close();
    }
  };

  reporter.begin(plan);
  // Queued stages run on the workers' resources: here only `--jobs` stages are in flight at once.
  const jobs = options.jobs ?? (queued ? QUEUE_JOBS : os.availableParallelism());
  // Each stage in flight listens for Ctrl-C on the one signal: with a queue that is up to `jobs`.
  if (queued) setMaxListeners(jobs + 10, signal);
  await schedule(
    plan.map((p) => {
      const n = ws.graph.stages.get(p.id)!;
      const upstream = [...ws.graph.upstream.get(p.id)!.keys()];
      return queued ? { id: p.id, upstream, cpu: 1, gpu: 0 } : { id: p.id, upstream, cpu: n.resources.cpu, gpu: n.resources.gpu };
    }),
    {
      jobs,
      gpus: queued ? 0 : options.gpus ?? 0,
      keepGoing: options.keepGoing,
      signal,
      // Every stage ends with a line: a failure before the stage's own handling (its state, its log) too.
      start: async (id) => {
        try {
          await runOne(id);
        } catch (err) {
          if (!summary.results.has(id)) {
            const e = err instanceof MlcPipeError ? err : new StageError(id, (err as Error).message ?? String(err), { cause: err });
            summary.failed.push(id);
            summary.errors.set(id, e);
            end(id, { status: 'failed', detail: e.message });
          }
          throw err;
        }
      },
      onSkip: (id, reason) => end(id, { status: 'not-run', detail: reason }),
    },
  );
  for (const p of plan) if (!summary.results.has(p.id)) end(p.id, { status: 'not-run', detail: 'not run: the run ended before it' });
  summary.interrupted = signal.aborted;
  ws.hashes.save();
  ws.code.save();
  await reporter.end();
  return summary;
}
