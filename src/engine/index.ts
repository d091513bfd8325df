/**
 * The engine's door: what the ML areas use to run tensors. The engine is organised by concern:
 *
 * - `./tf.ts` (+ `./tfjs/`): the one TensorFlow.js namespace, gradients and chained ops registered.
 * - `./start/`: backend selection (`startEngine`, the only way an entry point starts an engine),
 *   the thread policy (`./start/threads.ts`) and one starter per backend (`./start/backends/`).
 * - `./options.ts`: the engine names and the `engine`/`threads` params (no tf loaded).
 * - `./ops/<op>/`: this project's own kernels, each with its kernel name, gradient and
 *   per-backend implementations in one folder.
 * - `./wasm/`: the wasm backend's custom kernels (SIMD sources in `./wasm/simd/`).
 * - `./native/`: the libtorch backend (the addon's JS side, its kernels and fallbacks).
 * - `./distributed/`: data-parallel hooks: a c10d process group (Gloo) over the addon.
 *
 * docs/design.md ("Engines and kernels") says where a new kernel, op, backend or precision goes.
 */
export { tf } from './tf.ts';
export { ENGINE_NAMES, PRECISION_NAMES, type EngineName, type EngineParams, type PrecisionName } from './options.ts';
export { type ResolvedPrecision } from './precision.ts';
export {
  initEngine,
  startEngine,
  shutdownEngine,
  NATIVE_FIX,
  type EngineInfo,
  type EngineIO,
  type EngineOptions,
} from './start/start-engine.ts';
export { resolveThreads, engineCpus } from './start/threads.ts';
export { fusedAdamUpdate, fusedAdamAvailable, type AdamSlots, type AdamStep } from './ops/fused-adam/fused-adam.ts';
export { ProcessGroup, distUnavailable } from './distributed/process-group.ts';
export { batchNormSync, withBatchNormSync, type BatchNormSync } from './distributed/batch-norm-sync.ts';
