/**
 * The engine names and the engine/threads params of the stages that run models, in a module that
 * does not load TensorFlow.js (stage schemas are read when a pipeline is planned).
 */
import { availableParallelism } from 'node:os';
import { Type } from '@sinclair/typebox';
import { NUMERICS_ENVIRONMENT, readEnvPositiveInt } from '../environment.ts';

/** Engine names accepted in config and on the CLI; `auto` tries the others in this order. */
export const ENGINE_NAMES = ['auto', 'native', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The `engine` param of train/evaluate/predict. */
export function engineParam() {
  return Type.Union(ENGINE_NAMES.map((n) => Type.Literal(n)), {
    description: 'Engine: auto (native → tensorflow → webgpu → wasm → cpu, the first that starts), native (libtorch), tensorflow (tfjs-node), webgpu, wasm or cpu. Defaults to auto.',
    default: 'auto',
  });
}

/** The `threads` param of train/evaluate/predict. */
export function threadsParam() {
  return Type.Integer({
    minimum: 0,
    default: 0,
    description: "Intra-op threads of the native engine; 0 = MLC_PIPE_THREADS if set, else the stage's CPU slots (resources.cpu, at most --jobs). Cache-neutral: changing it never reruns the stage. Defaults to 0.",
  });
}

/**
 * The thread count a stage's engine gets: the `threads` param when > 0, else `MLC_PIPE_THREADS`,
 * else the CPU slots the scheduler granted the stage, else every core.
 */
export function resolveThreads(requested: number | undefined, slots: number | undefined): number {
  if (requested && requested > 0) return requested;
  const env = readEnvPositiveInt('MLC_PIPE_THREADS');
  if (env !== undefined) return env;
  if (slots && slots > 0) return slots;
  return availableParallelism();
}

/** Engines that run on one thread whatever they are given (wasm cannot start threads in Node). */
const SINGLE_THREADED: readonly EngineName[] = ['cpu', 'wasm'];

/**
 * CPU slots a stage that runs a model asks the scheduler for (its `resources.cpu`): the threads its
 * engine will use, from the same `resolveThreads` the engine gets them from (so the scheduler never
 * reserves every core while the engine uses MLC_PIPE_THREADS of them); 1 for a single-threaded engine.
 */
export function engineCpus(p: { engine: EngineName; threads: number }): number {
  return SINGLE_THREADED.includes(p.engine) ? 1 : resolveThreads(p.threads, undefined);
}

/**
 * Environment switches that change what the engine computes (kernel choice, Winograd tiles, GEMM
 * orientation; which engine `auto` can start, the libtorch build and its device): the variables
 * src/environment.ts marks `numerics`. A stage that runs the engine lists them in its
 * `environment`, so their values are part of its cache key.
 */
export { NUMERICS_ENVIRONMENT };
