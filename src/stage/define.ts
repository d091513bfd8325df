/**
 * The contract between the runner and a stage. A stage module (built-in under `stages/`, or a
 * user's `.ts`/`.js` file named by `uses: ./path.ts`) default-exports `defineStage({...})`.
 *
 * Rules every stage follows:
 * - The module's top level is cheap: heavy imports (TensorFlow.js, sharp, …) happen inside `run`
 *   with `await import(...)`, so planning a pipeline never loads them.
 * - `params` is a TypeBox schema: the single source of truth for validation, defaults (ajv
 *   `useDefaults`), the TS type (`Static<typeof params>`), `mlc-pipe stages` and the README.
 *   Every field has a `description` ending "Defaults to …".
 * - `inputs`/`outputs` are paths relative to the pipeline's working folder (`wdir:`, by default
 *   the pipeline file's folder), files or folders.
 *   The runner hashes inputs for the cache and edges of the DAG; a stage writes each output
 *   through `ctx.out(path)`, a temporary path the runner renames into place only on success.
 * - `run` may execute in another process (the executor decides), so it must only use `ctx`.
 */
import type { Static, TObject } from '@sinclair/typebox';

/**
 * A gang: the processes of one run that must start together, all or none (a data-parallel
 * stage's ranks). An executor with the `gang` property runs each member as its own job on its own
 * worker (`StageContext.member` says which); any other executor runs the stage as one job and
 * `run` starts the members itself.
 */
export interface StageGang {
  /** Members (processes); each holds 1/size of the stage's resources. */
  size: number;
  /** Seconds the members may take to be placed (all of them) before the stage fails. */
  timeout: number;
  /** What to change when the gang cannot form, in the stage's own params (e.g. lower ranks). */
  hint?: string;
}

/** This process's place in a gang, set by an executor that places gang members itself. */
export interface GangMember {
  /** 0 … size-1; member 0 serves the rendezvous store and writes the outputs. */
  rank: number;
  size: number;
  /** The rendezvous store (a c10d TCPStore) member 0 serves: where every member connects. */
  store: { host: string; port: number };
  /** This machine's address as the other members reach it. */
  host: string;
  /** The worker running this member (`host:pid`), for messages. */
  worker: string;
}

export interface StageResources {
  /** CPU cores the stage keeps busy. Defaults to 1. */
  cpu?: number;
  /** GPUs the stage needs. Defaults to 0. */
  gpu?: number;
}

export interface StageContext<P> {
  /** Stage id in the pipeline, e.g. `train` or `train@resnet18`. */
  readonly id: string;
  /** Params after defaults and `${var}` interpolation, validated against the schema. */
  readonly params: P;
  /** Absolute working folder of the pipeline (`wdir:`, by default the pipeline file's folder); relative paths resolve against it. */
  readonly cwd: string;
  /**
   * Identifies this run: a hash of the stage's code identity, its params (less the `exclude`d
   * ones) and the content hashes of its inputs; with nothing excluded, the run-cache key. State a
   * stage keeps across runs (a training checkpoint) records it and is reused only by a run with
   * the same key. Undefined when the stage runs outside the runner.
   */
  readonly runKey?: (exclude?: readonly string[]) => string;
  /**
   * CPU slots the scheduler granted this run (the stage's resources.cpu, at most `--jobs`): the
   * thread count to use, so that stages running side by side don't oversubscribe the cores.
   * Undefined outside the runner.
   */
  readonly cpus?: number;
  /**
   * Set when an executor that places gang members (`StageSpec.gang`) runs this process as one
   * member; undefined otherwise (the stage starts its members itself, if it has any).
   */
  readonly member?: GangMember;
  /** Absolute temp path to write the declared output `declared` to (renamed into place on success). */
  out(declared: string): string;
  /** Absolute path of an input or any path relative to the working folder. */
  path(relative: string): string;
  /** A line for the stage log (`logs/<pipeline>/<stage>.log`) and the task view. */
  log(message: string): void;
  /** A short status shown in the task view's current line (not logged), e.g. `epoch 3/10 loss 0.41`. */
  progress(message: string): void;
  /** Aborted when the user presses Ctrl-C or the runner cancels; long loops check it. */
  readonly signal: AbortSignal;
}

/** What `run` may return: metrics are written to the lock file beside the stage's outputs. */
export interface StageResult {
  metrics?: Record<string, number | string | null>;
}

export interface StageSpec<S extends TObject> {
  /** Name used in `uses:`, e.g. `train`. */
  name: string;
  /** Bump to invalidate every cached result of this stage. */
  version: string;
  /** One line shown by `mlc-pipe stages`. */
  description: string;
  /** TypeBox object schema of the `with:` block. */
  params: S;
  /** Paths read (relative to the working folder). */
  inputs(params: Static<S>): string[];
  /** Paths written (relative to the working folder). */
  outputs(params: Static<S>): string[];
  /**
   * Environment variables that change the stage's results (e.g. an engine's kernel switches): their
   * values are part of the stage's cache key, so setting one reruns the stage. Defaults to [].
   */
  environment?: readonly string[];
  /**
   * Params that do not change the stage's results (threads, resume, where logs go): they stay out of
   * the run-cache key and out of the params the lock file records and compares, so changing one
   * never reruns the stage. A param that changes results, even at float tolerance, must not be
   * listed; `param.key` names one key of an object param. Defaults to [].
   */
  cacheNeutral?: readonly ((keyof Static<S> & string) | `${keyof Static<S> & string}.${string}`)[];
  /**
   * Resolves machine-dependent choices in the validated params before the runner keys and records
   * them, e.g. `precision: auto` → the precision this machine runs (src/engine/precision.ts): the
   * cache key and the lock file hold what runs, and `run` gets the resolved params. Must be cheap
   * and pure given the machine (no engine start). Defaults to the params unchanged.
   */
  resolveParams?(params: Static<S>): Static<S>;
  /** Resources the scheduler reserves while the stage runs. Defaults to `{ cpu: 1 }`. */
  resources?: StageResources | ((params: Static<S>) => StageResources);
  /** The stage's gang (processes that start together), if these params ask for one. Defaults to none. */
  gang?: (params: Static<S>) => StageGang | undefined;
  run(ctx: StageContext<Static<S>>): Promise<StageResult | void>;
}

export type StageDefinition = StageSpec<TObject> & { readonly kind: 'mlc-pipe-stage' };

/**
 * Stages known by name: what `uses: <name>` resolves to. The pipeline loader is given one
 * (mlc-pipe's built-ins are `builtinStages` in stages/registry.ts); it never imports stages itself.
 */
export interface StageRegistry {
  /** Every name, in pipeline order. */
  names(): string[];
  /** Absolute path of the module behind `name`, or undefined for an unknown name. */
  path(name: string): string | undefined;
}

/** Declares a stage. Identity function plus a brand the loader checks. */
export function defineStage<S extends TObject>(spec: StageSpec<S>): StageSpec<S> & { readonly kind: 'mlc-pipe-stage' } {
  return Object.freeze({ ...spec, kind: 'mlc-pipe-stage' as const });
}

export function isStageDefinition(value: unknown): value is StageDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'mlc-pipe-stage';
}
