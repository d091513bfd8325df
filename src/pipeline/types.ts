/**
 * The resolved form of a pipeline: what the DAG, the planner and the executors work with.
 */
import type { StageDefinition, StageGang } from '../stage/define.ts';

export interface StagePosition {
  line: number;
  col: number;
}

interface StageNodeBase {
  /** Concrete id (`train`, `train@resnet`). */
  id: string;
  /** Id in the YAML before foreach/matrix expansion. */
  template: string;
  /** Explicit `needs`, expanded to concrete ids. */
  needs: string[];
  /** Normalized relative paths (posix, no trailing slash) read by the stage. */
  inputs: string[];
  /** Normalized relative paths written by the stage. */
  outputs: string[];
  /** Resources held while the stage runs. */
  resources: { cpu: number; gpu: number };
  /** Seconds before the stage is stopped and fails, or undefined for no limit. */
  timeout?: number;
  /** Failed attempts tried again. Defaults to 0. */
  retries?: number;
  /** Seconds before the first retry, doubled for each next one. Defaults to 1. */
  retryDelay?: number;
  /** Where the stage is declared in the pipeline file. */
  pos?: StagePosition;
  description?: string;
}

/** A stage backed by a `defineStage` module (built-in or `uses: ./x.ts`). */
export interface ModuleStageNode extends StageNodeBase {
  kind: 'module';
  /** The `uses` value as written. */
  uses: string;
  /** Absolute path of the module file. */
  modulePath: string;
  /** The stage's `version`. */
  version: string;
  /** Environment variables whose values are part of the cache key (the stage's `environment`). */
  environment?: string[];
  /** Params left out of the run-cache key and the lock (the stage's `cacheNeutral`). */
  cacheNeutral?: string[];
  /** Params after interpolation, overrides and schema defaults. */
  params: Record<string, unknown>;
  /** The stage's gang (`StageSpec.gang`), when its params ask for one of 2 or more. */
  gang?: StageGang;
}

/** A `cmd` stage run through execa. */
export interface CmdStageNode extends StageNodeBase {
  kind: 'cmd';
  cmd: string | string[];
  shell: boolean;
  /** Files (relative) hashed into the code identity. */
  code: string[];
  params: Record<string, unknown>;
  env: Record<string, string>;
}

export type StageNode = ModuleStageNode | CmdStageNode;

/** The pipeline's `executor`, `redis`, `queue` and `store` keys, each undefined when absent. */
export interface PipelineExecution {
  /** A built-in executor's name (the schema lists them: src/runner/executors/registry.ts's BUILTIN_EXECUTORS). */
  executor?: string;
  redis?: string;
  queue?: string;
  /** Absolute folder (`store:` resolved against the pipeline file's folder). */
  store?: string;
}

export interface Pipeline {
  /** Path of the YAML file as given. */
  file: string;
  /**
   * Absolute working folder (`wdir:`, relative to the pipeline file's folder; defaults to it):
   * stage paths, `.mlc/` and `logs/` resolve here.
   */
  dir: string;
  /** Absolute folder of the pipeline file: the lock file and `uses: ./x.ts` resolve here. */
  fileDir: string;
  /** Pipeline name (`name:` or the file's stem). */
  name: string;
  /** Stages in declaration order (after expansion). */
  stages: StageNode[];
  /** How the stages run, as the pipeline declares it (CLI flags and environment override it). */
  execution: PipelineExecution;
  /** Loaded stage modules by absolute path (not serialisable; for planning only). */
  definitions: Map<string, StageDefinition>;
}
