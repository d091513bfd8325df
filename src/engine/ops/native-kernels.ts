/**
 * The native kernels of this project's custom ops (one folder each under ./: `name.ts` the kernel
 * name, `<op>.ts` the public function and its gradient, `cpu.ts`/`wasm.ts`/`native.ts` the
 * per-backend kernels). ../native/index.ts registers these with the native backend, each only when
 * the addon has the op of that name (an addon built before an op keeps the composed formula).
 * A new op with a native kernel adds its list here.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { fusedAdamKernels } from './fused-adam/native.ts';
import { batchNormTrainingKernels } from './batch-norm-training/native.ts';
import { crossEntropyKernels } from './cross-entropy/native.ts';
import { syncBatchNormKernels } from './sync-batch-norm/native.ts';

export const opNativeKernels: readonly KernelConfig[] = [
  ...fusedAdamKernels,
  ...batchNormTrainingKernels,
  ...crossEntropyKernels,
  ...syncBatchNormKernels,
];
