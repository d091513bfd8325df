/**
 * mlc-pipe's public API. Everything not exported here may change.
 */
export { Type } from '@sinclair/typebox';
export type { Static, TObject } from '@sinclair/typebox';
import { loadPipeline as loadWith, type LoadOptions } from './pipeline/load.ts';
import type { Pipeline } from './pipeline/types.ts';
import { builtinStages } from '../stages/registry.ts';
export { defineStage, isStageDefinition } from './stage/define.ts';
export type {
  StageContext,
  StageDefinition,
  StageRegistry,
  StageResources,
  StageResult,
  StageSpec,
} from './stage/define.ts';
export { ConfigError, DagError, DataError, MlcPipeError, StageError } from './errors.ts';
export type { LoadOptions } from './pipeline/load.ts';
export { builtinStages } from '../stages/registry.ts';
export { PipelineValidationError, formatDiagnostic } from './pipeline/diagnostics.ts';
export type { Diagnostic } from './pipeline/diagnostics.ts';
export type { CmdStageNode, ModuleStageNode, Pipeline, StageNode } from './pipeline/types.ts';
export { buildGraph } from './pipeline/graph.ts';
export type { Graph } from './pipeline/graph.ts';
export { renderDag } from './pipeline/render-dag.ts';
export type { DagFormat } from './pipeline/render-dag.ts';
export { planRun, decideStage } from './runner/plan/plan.ts';
export type { Plan, PlanFlags, PlannedStage, StageAction, StageState } from './runner/plan/plan.ts';
export { planPipeline, runPipeline } from './runner/run.ts';
export type { RunOptions, RunSummary } from './runner/run-options.ts';
export { LocalProcessExecutor } from './runner/executors/local/executor.ts';
export type { LocalProcessExecutorOptions } from './runner/executors/local/executor.ts';
export { jobFor } from './runner/executors/job.ts';
export type {
  Execution,
  Executor,
  ExecutorContext,
  ExecutorPlugin,
  ExecutorProperties,
} from './runner/executors/executor.ts';
export { BUILTIN_EXECUTORS, executorRegistry } from './runner/executors/registry.ts';
export type { ExecutorRegistry } from './runner/executors/registry.ts';
export { runStage } from './host/run-stage.ts';
export type {
  CmdStageJob,
  CodeIdentityRef,
  HostOptions,
  HostedResult,
  ModuleStageJob,
  StageIO,
  StageJob,
} from './host/job.ts';
export type { RunReporter, StageEnd } from './runner/render/reporter.ts';
export { lockPathFor, readLock } from './runner/lock/lock-file.ts';
export type { LockEntry, LockFile } from './runner/lock/lock-file.ts';
export { main } from './cli/main.ts';

/**
 * Loads, validates and resolves a pipeline file, with `uses: <name>` resolving to the built-in
 * stages unless `options.stages` says otherwise. Throws PipelineValidationError listing every problem.
 */
export function loadPipeline(file: string, options: LoadOptions = {}): Promise<Pipeline> {
  return loadWith(file, { stages: builtinStages, ...options });
}
