/**
 * Batch norm on the addon (native/src/norm.cc): tfjs' FusedBatchNorm (normalise with given
 * statistics). The training form is a custom op: ../../ops/batch-norm-training/.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.ts';

export const normKernels: KernelConfig[] = [
  nativeKernel('FusedBatchNorm', ({ x, mean, variance, offset, scale }, be, attrs) => {
    const inputs = [x!, mean!, variance!];
    if (offset) inputs.push(offset);
    if (scale) inputs.push(scale);
    return be.run1('FusedBatchNorm', inputs, [
      (attrs.varianceEpsilon as number | undefined) ?? 0.001,
      offset ? 1 : 0,
      scale ? 1 : 0,
    ]);
  }),
];
