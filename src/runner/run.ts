/**
 * `runPipeline(file, options)`: load, plan, then run the plan through an executor and the
 * scheduler (execute/). Every finished stage is recorded in the lock file at once (atomically), so
 * an interrupted run keeps what finished; a failed or killed stage is never recorded (its partial
 * outputs are kept in `.mlc/failed/<id>/` for a look).
 *
 * The executor is whatever plugin `execution` names (executors/registry.ts): the runner reads
 * only its declared properties, never its name.
 */
import path from 'node:path';
import { workingDir } from '../pipeline/wdir.ts';
import type { Executor, Execution } from './executors/executor.ts';
import { executorPlugin, resolveExecution } from './executors/settings.ts';
import { execute } from './execute/execute.ts';
import { logDir } from './execute/stage-log.ts';
import { acquireRunLock } from './lock/pid-lock.ts';
import { planRun, selectStages, type PlannedStage } from './plan/plan.ts';
import type { RunOptions, RunSummary } from './run-options.ts';
import { RunCache } from './store/run-cache.ts';
import { checkTargets, openWorkspace, stageStates, type Workspace } from './workspace.ts';

export type { RunOptions, RunSummary } from './run-options.ts';

/** Plans the pipeline (what `status` and `--dry-run` print). */
export async function planPipeline(
  file: string,
  options: RunOptions = {},
): Promise<{ ws: Workspace; plan: PlannedStage[]; execution: Execution }> {
  const ws = await openWorkspace(file, {
    overrides: options.overrides,
    stages: options.stages,
    paramOverrides: options.paramOverrides,
  });
  const execution = resolveExecution(ws.pipeline.execution, options.execution, undefined, options.executors);
  // Such an executor's stages are stored where every worker reads: the shared store is then the run-cache.
  if (executorPlugin(execution.executor, options.executors).properties.sharedStore)
    ws.runCache = new RunCache(ws.pipeline.dir, execution.store);
  const targets = checkTargets(ws, options.targets ?? []);
  const flags = { targets, downstream: options.downstream, force: options.force };
  const { selected } = selectStages(ws.graph, flags);
  const states = await stageStates(
    ws,
    ws.graph.order.filter((id) => selected.has(id)),
  );
  const plan = planRun(ws.graph, ws.lock, states, flags).stages;
  ws.hashes.save();
  ws.code.save();
  return { ws, plan, execution };
}

/** Runs the pipeline (one run per pipeline file at a time). */
export async function runPipeline(file: string, options: RunOptions = {}): Promise<RunSummary> {
  const release = options.dryRun ? () => {} : acquireRunLock(path.join(workingDir(file), '.mlc'), file);
  try {
    const { ws, plan, execution } = await planPipeline(file, options);
    const summary: RunSummary = {
      plan,
      results: new Map(),
      failed: [],
      errors: new Map(),
      interrupted: false,
      lockFile: ws.lockFile,
      logDir: logDir(ws),
      warnings: [...ws.code.warnings],
    };
    if (options.dryRun) return summary;
    const plugin = executorPlugin(execution.executor, options.executors);
    const executor: Executor = options.executor ?? (await plugin.create({ workspace: ws, settings: execution }));
    try {
      return await execute(ws, plan, summary, { ...options, executor }, plugin.properties);
    } finally {
      if (!options.executor) await executor.close?.();
    }
  } finally {
    release();
  }
}
