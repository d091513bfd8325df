/**
 * Losses on the addon (native/src/loss.cc): the head cross-entropy `MlcPipeCrossEntropy`, whose
 * outputs are the loss and its gradient wrt the logits (./cross-entropy.ts registers the
 * gradient). Registered only when the addon has the op (an addon built before it keeps the
 * composed formula). Attributes: [softmax, ε, class-weight count, class weights…, ATen ops].
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { CROSS_ENTROPY } from './name.ts';
import { list, nativeKernel } from '../../native/kernels/kernel.ts';

export const crossEntropyKernels: KernelConfig[] = [
  nativeKernel(CROSS_ENTROPY, ({ logits, labels, sampleWeights }, be, attrs) => {
    const inputs = sampleWeights ? [logits!, labels!, sampleWeights] : [logits!, labels!];
    return be.run(CROSS_ENTROPY, inputs, [
      attrs.softmax ? 1 : 0,
      attrs.labelSmoothing as number,
      ...list((attrs.classWeights as number[] | undefined) ?? []),
      attrs.atenOps ? 1 : 0,
    ]);
  }),
];
