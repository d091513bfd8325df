/**
 * Executors are transports to the stage host (src/host): each carries a `StageJob` to where it
 * runs, has `runStage(job, io)` run it there, and carries `io` and the result back.
 *
 * An executor is a plugin (`ExecutorPlugin`): it has a name, declares its properties, and makes
 * its `Executor` for a run. The runner reads only the properties, never the name, so a new
 * executor needs no change to the runner: it goes in `executors/<name>/` and into the registry
 * (`registry.ts`), or into the registry a caller gives `runPipeline` (`RunOptions.executors`).
 */
import type { HostedResult, StageIO, StageJob } from '../../host/job.ts';
import type { Workspace } from '../workspace.ts';
import type { StageLimits } from '../stage-limits.ts';

/** `--executor`, `--redis`, `--queue`, `--store` as given (settings.ts resolves them). */
export interface ExecutionFlags {
  executor?: string;
  redis?: string;
  queue?: string;
  /** A folder, relative to the current folder. */
  store?: string;
}

/** The resolved execution settings (settings.ts). */
export interface Execution {
  /** The executor's name in the registry. */
  executor: string;
  /** Redis URL (bullmq only). */
  redis?: string;
  queue: string;
  /** Absolute shared store folder, when one is configured. */
  store?: string;
}

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

/** What the runner needs to know of an executor to schedule for it. */
export interface ExecutorProperties {
  /** Stages in flight at once when `--jobs` is not given. Defaults to the CPU count. */
  defaultJobs?: number;
  /**
   * The executor places each stage by its `resources` itself (workers that take only the jobs
   * they have room for). The runner then counts each stage in flight as one of `--jobs` slots and
   * ignores `--gpus`. When false the runner's scheduler reserves each stage's cpu and gpu.
   */
  enforcesResources: boolean;
  /**
   * Can start the processes of one data-parallel stage together, all or none, on as many slots
   * (gang scheduling): the runner then hands it the stage's gang (`StageLimits.gang`) and the
   * executor runs one job per member (bullmq: one per worker). Without it the stage runs as one
   * job that starts its members itself (local: the ranks as child processes of that job).
   */
  gang: boolean;
  /**
   * Stages store their outputs in the shared store (`--store`, `MLC_STORE`, `store:`), which is
   * then the run's run-cache; a run without one is refused before anything runs.
   */
  sharedStore: boolean;
}

/** What an executor plugin gets to make its executor for one run. */
export interface ExecutorContext {
  /** The opened pipeline (its run-cache is the shared store when the executor has `sharedStore`). */
  workspace: Workspace;
  /** The resolved `--executor`, `--redis`, `--queue` and `--store` settings. */
  settings: Execution;
}

export interface ExecutorPlugin {
  /** What `--executor` and the pipeline's `executor:` call it. */
  readonly name: string;
  /** One line for `--help` and the docs. */
  readonly description: string;
  readonly properties: ExecutorProperties;
  /** Refuses settings it cannot run with (a ConfigError naming the fix), before anything runs. */
  check?(settings: Execution): void;
  /** Makes the executor for one run; the runner closes it after the run. */
  create(context: ExecutorContext): Executor | Promise<Executor>;
}
