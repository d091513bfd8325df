/** What `runPipeline` takes and what it returns. */
import type { ParamOverride } from '../pipeline/load.ts';
import type { StageRegistry } from '../stage/define.ts';
import type { Executor, ExecutionFlags } from './executors/executor.ts';
import type { ExecutorRegistry } from './executors/registry.ts';
import type { PlannedStage } from './plan/plan.ts';
import type { RunReporter, StageEnd } from './render/reporter.ts';

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
  /** How stages run. Defaults to the executor `execution` names, made by its plugin. */
  executor?: Executor;
  /** What `--executor <name>` resolves to. Defaults to the built-in executors (`executorRegistry` adds more). */
  executors?: ExecutorRegistry;
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
