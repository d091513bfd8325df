/**
 * Running a stage through the executor: outputs prepared, the job run (with the runner's retries
 * and timeout unless the executor has its own), then hashed, stored in the run-cache, swapped into
 * place and recorded in the lock. A failure at any step after the run puts the previous outputs
 * back, records nothing, and keeps the partial outputs in `.mlc/failed/<id>/`.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostedResult, StageIO, StageJob } from '../../host/job.ts';
import type { StageNode } from '../../pipeline/types.ts';
import { jobFor } from '../executors/job.ts';
import {
  failedDir,
  keepFailedOutputs,
  prepareOutputs,
  shownPath,
  swapIntoPlace,
  writtenOutputs,
  type Swap,
} from '../outputs.ts';
import type { StageState } from '../plan/plan.ts';
import { limitsOf, runWithRetries, runWithTimeout } from '../stage-limits.ts';
import { endStage, failStage, stageError, toConsole, type RunContext } from './context.ts';
import { lockEntry, movedError, recordStage } from './record.ts';
import { openLog, type StageLog } from './stage-log.ts';

type KeyedState = StageState & { key: string };

/** Runs `node` (now out of date for `reason`); rejects (after ending the stage as failed) when it fails. */
export async function runJob(
  ctx: RunContext,
  node: StageNode,
  state: KeyedState,
  reason: string,
  restoreProblem?: string,
): Promise<void> {
  const { ws, reporter } = ctx;
  const id = node.id;
  reporter.stageStart(id, reason);
  const log = openLog(ws, id);
  const t0 = performance.now();
  const startedMs = Date.now();
  log.write(`# ${new Date().toISOString()} ${id}: ${reason}`);
  if (restoreProblem) log.write(`# warning: ${restoreProblem}`);
  let temps: Record<string, string> | undefined;
  try {
    temps = prepareOutputs(ws, node);
    const cpus = Math.min(node.resources.cpu, ctx.options.jobs ?? os.availableParallelism());
    const job = jobFor(node, ws.pipeline.dir, temps, state.code, state.inputs, cpus);
    const io: StageIO = {
      log: (line) => (log.write(line), toConsole(ctx, id, line)),
      progress: (m) => reporter.stageProgress(id, m),
      signal: ctx.signal,
    };
    const result = await runThroughExecutor(ctx, node, job, io);
    keepResult(ctx, node, state, temps, result, startedMs, log);
    rmSync(failedDir(ws, id), { recursive: true, force: true }); // what an earlier failure kept is stale now
    const seconds = (performance.now() - t0) / 1000;
    log.write(`# done in ${seconds.toFixed(2)}s`);
    endStage(ctx, id, { status: 'ok', seconds });
  } catch (err) {
    const e = stageError(id, err);
    const kept = temps ? keepFailedOutputs(ws, node, temps) : []; // not prepared: nothing was moved
    if (kept.length) e.message += ` (partial outputs kept in ${shownPath(failedDir(ws, id))}: ${kept.join(', ')})`;
    log.write(`# failed: ${e.message}`);
    throw failStage(ctx, id, e, (performance.now() - t0) / 1000);
  } finally {
    log.close();
  }
}

/** The executor's run of `job`, with the runner's retries and timeout unless it retries natively. */
function runThroughExecutor(ctx: RunContext, node: StageNode, job: StageJob, io: StageIO): Promise<HostedResult> {
  const { executor } = ctx;
  const limits = limitsOf(node, ctx.gangs);
  if (executor.retriesNatively) return executor.run(job, io, limits);
  const once = (j: StageJob, o: StageIO) =>
    runWithTimeout((jj, oo) => executor.run(jj, oo, limits), j, o, limits.timeout);
  return runWithRetries(once, job, io, limits.retries ?? 0, limits.retryDelay ?? 1);
}

/**
 * Hashes where the stage wrote, stores that in the run-cache, moves it into place and writes the
 * lock: a failure at any step puts the previous outputs back and records nothing.
 */
function keepResult(
  ctx: RunContext,
  node: StageNode,
  state: KeyedState,
  temps: Record<string, string>,
  result: HostedResult,
  startedMs: number,
  log: StageLog,
): void {
  const { ws } = ctx;
  const where = writtenOutputs(ws, node, temps, startedMs, log.write);
  const outputs: Record<string, string> = {};
  for (const [o, abs] of Object.entries(where)) outputs[o] = ws.hashes.hash(abs)!;
  const entry = lockEntry(state, outputs, result.metrics);
  const stored = ws.runCache.store(outputs, ws.hashes, where);
  let newRun = false;
  try {
    newRun = ws.runCache.record(state.key, {
      outputs,
      metrics: result.metrics,
      stage: node.id,
      template: node.template,
      pipeline: ws.pipeline.name,
      params: state.params,
      at: entry.at,
    });
    const moves = Object.entries(where).map(([o, from]) => ({ from, target: path.resolve(ws.pipeline.dir, o) }));
    let swap: Swap;
    try {
      swap = swapIntoPlace(moves, node.kind === 'cmd' ? moves.map((m) => m.target) : []);
    } catch (err) {
      throw movedError(ws, node, moves, err);
    }
    try {
      recordStage(ws, node.id, entry);
    } catch (err) {
      swap.undo();
      throw err;
    }
    swap.keep();
  } catch (err) {
    ws.runCache.discard(stored, newRun ? state.key : undefined);
    throw err;
  }
}
