/**
 * The engine's thread policy: how many intra-op threads an entry point's engine gets, and how many
 * CPU slots a stage that runs a model asks the scheduler for; one function drives both. Loads no
 * TensorFlow.js (stage modules import `engineCpus` when a pipeline is planned).
 */
import { availableParallelism } from 'node:os';
import { readEnvPositiveInt } from '../../environment.ts';
import type { EngineName } from '../options.ts';

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
