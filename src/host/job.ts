/**
 * What a stage host is given to run one stage (`StageJob`) and how it reports back (`StageIO`).
 *
 * A job is plain data (structured-clone and JSON safe), so any transport can carry it: the local
 * process executor sends it over IPC, a queue executor puts it on a queue. Paths in a job are
 * paths on the machine that runs it: `cwd` is the pipeline's working folder there, and `outputs`
 * are where that machine writes each declared output (the runner renames them into place only on
 * success). Nothing else about the filesystem is assumed.
 */
import type { GangMember, StageResult } from '../stage/define.ts';

/** Identifies the code that produced a result: the same value the runner keys its cache by. */
export interface CodeIdentityRef {
  /** Hash of the stage module and everything it imports (or, for a cmd stage, its command and `code:` files). */
  hash: string;
  /** The module's declared `version` (module stages only). */
  version?: string;
}

interface StageJobBase {
  /** Stage id in the pipeline, e.g. `train` or `train@resnet18`. */
  id: string;
  /** Params after defaults, `${var}` interpolation and overrides, validated against the stage's schema. */
  params: Record<string, unknown>;
  /** Absolute working folder of the pipeline on the machine that runs the job; relative paths resolve here. */
  cwd: string;
  /** Declared inputs, relative to `cwd` (a remote transport ships or mounts them). */
  inputs: string[];
  /**
   * Declared output (relative to `cwd`) → absolute path where the stage writes it.
   * For a module stage these are temporary paths; a cmd stage writes in place, so they equal
   * `cwd`/output.
   */
  outputs: Record<string, string>;
  /** The code identity the runner computed for this job. */
  code: CodeIdentityRef;
  /** Input path → content hash, as the runner keyed its cache by (see `StageContext.runKey`). */
  inputHashes?: Record<string, string | null>;
  /** CPU slots the scheduler granted the job (its resources.cpu, at most --jobs); see `StageContext.cpus`. */
  cpus?: number;
  /** This job is one member of the stage's gang (set by an executor that places members); see `StageContext.member`. */
  member?: GangMember;
}

/** A `defineStage` module. */
export interface ModuleStageJob extends StageJobBase {
  kind: 'module';
  /** The module to import: `uses` as written in the pipeline, and the absolute file it resolved to. */
  module: { uses: string; path: string };
  /** Params the stage declares cache-neutral: left out of `StageContext.runKey`, as out of the runner's key. */
  cacheNeutral?: string[];
}

/** A `cmd:` stage. */
export interface CmdStageJob extends StageJobBase {
  kind: 'cmd';
  /** Command line or argv. */
  cmd: string | string[];
  /** Run through a shell. */
  shell: boolean;
  /** Extra environment variables (on top of MLC_STAGE_ID, MLC_PARAMS and MLC_PARAM_*). */
  env: Record<string, string>;
  /** Seconds, or undefined for no limit. */
  timeout?: number;
}

export type StageJob = ModuleStageJob | CmdStageJob;

/** How a host reports while it runs a job. Every member is called on the host's side of the transport. */
export interface StageIO {
  /** A line for the stage log. */
  log(line: string): void;
  /** A transient status line (e.g. `epoch 3/10 loss 0.41`). */
  progress(message: string): void;
  /**
   * The stage asked where to write the declared output `declared` (through `ctx.out`) and got
   * `path`. Optional: a transport that uploads outputs uses it to know what was written.
   */
  output?(declared: string, path: string): void;
  /** Aborted to stop the stage (Ctrl-C, a cancelled queue job). */
  readonly signal: AbortSignal;
}

/** What `runStage` resolves with: the stage's result and the declared outputs that now exist. */
export interface HostedResult extends StageResult {
  /** Declared outputs found at their job path after the stage finished. */
  written: string[];
}

/** Options of the host itself (not of the job). */
export interface HostOptions {
  /** Milliseconds between SIGTERM and SIGKILL when a cmd stage is stopped. Defaults to 3000. */
  killGraceMs?: number;
}
