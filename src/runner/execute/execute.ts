/**
 * Executing a plan: each planned stage goes to the scheduler with what it reserves, and the
 * scheduler starts it (stage.ts) once its upstream succeeded and its slots are free. What a stage
 * reserves follows the executor's declared properties, never its name: an executor that places
 * stages by their resources itself takes one `--jobs` slot per stage in flight.
 */
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { ExecutorProperties } from '../executors/executor.ts';
import type { PlannedStage } from '../plan/plan.ts';
import { silentReporter } from '../render/reporter.ts';
import type { RunOptions, RunSummary } from '../run-options.ts';
import { schedule, type SchedulerTask } from '../scheduler.ts';
import { checkTargets, type Workspace } from '../workspace.ts';
import { selectStages } from '../plan/plan.ts';
import { endStage, failStage, stageError, type RunContext } from './context.ts';
import { bringUpToDate } from './stage.ts';

/** Runs `plan` with `options.executor`, filling in `summary`. */
export async function execute(
  ws: Workspace,
  plan: PlannedStage[],
  summary: RunSummary,
  options: RunOptions & { executor: RunContext['executor'] },
  properties: ExecutorProperties,
): Promise<RunSummary> {
  const targets = checkTargets(ws, options.targets ?? []);
  const { forced } = selectStages(ws.graph, { targets, downstream: options.downstream, force: options.force });
  const ctx: RunContext = {
    ws,
    summary,
    reporter: options.reporter ?? silentReporter,
    executor: options.executor,
    gangs: properties.gang,
    options,
    forced,
    signal: options.signal ?? new AbortController().signal,
  };
  const planned = new Map(plan.map((p) => [p.id, p]));
  const jobs = options.jobs ?? properties.defaultJobs ?? os.availableParallelism();
  // Each stage in flight listens for Ctrl-C on the one signal: up to `jobs` of them.
  setMaxListeners(jobs + 10, ctx.signal);
  ctx.reporter.begin(plan);
  await schedule(tasksOf(ws, plan, properties), {
    jobs,
    gpus: properties.enforcesResources ? 0 : (options.gpus ?? 0),
    keepGoing: options.keepGoing,
    signal: ctx.signal,
    // Every stage ends with a line: a failure before the stage's own handling (its state, its log) too.
    start: async (id) => {
      try {
        await bringUpToDate(ctx, planned.get(id)!);
      } catch (err) {
        if (!summary.results.has(id)) failStage(ctx, id, stageError(id, err));
        throw err;
      }
    },
    onSkip: (id, reason) => endStage(ctx, id, { status: 'not-run', detail: reason }),
  });
  for (const p of plan)
    if (!summary.results.has(p.id))
      endStage(ctx, p.id, { status: 'not-run', detail: 'not run: the run ended before it' });
  summary.interrupted = ctx.signal.aborted;
  ws.hashes.save();
  ws.code.save();
  await ctx.reporter.end();
  return summary;
}

/**
 * The scheduler's tasks: each stage with its upstream and what it reserves, its cpu and gpu, or
 * one slot when the executor enforces resources itself (on its workers).
 */
function tasksOf(ws: Workspace, plan: readonly PlannedStage[], properties: ExecutorProperties): SchedulerTask[] {
  return plan.map((p) => {
    const upstream = [...ws.graph.upstream.get(p.id)!.keys()];
    if (properties.enforcesResources) return { id: p.id, upstream, cpu: 1, gpu: 0 };
    const { cpu, gpu } = ws.graph.stages.get(p.id)!.resources;
    return { id: p.id, upstream, cpu, gpu };
  });
}
