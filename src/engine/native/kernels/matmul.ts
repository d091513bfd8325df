/** BatchMatMul and _FusedMatMul on the addon (native/src/matmul.cc). */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { activationCode, nativeKernel } from './kernel.ts';

export const matmulKernels: KernelConfig[] = [
  nativeKernel('BatchMatMul', ({ a, b }, be, attrs) =>
    be.run1('BatchMatMul', [a!, b!], [attrs.transposeA ? 1 : 0, attrs.transposeB ? 1 : 0]),
  ),
  nativeKernel('_FusedMatMul', ({ a, b, bias, preluActivationWeights }, be, attrs) => {
    const act = activationCode(attrs.activation);
    if (act === null) return null;
    const inputs = [a!, b!];
    if (bias) inputs.push(bias);
    if (act === 5) inputs.push(preluActivationWeights!);
    return be.run1('_FusedMatMul', inputs, [
      attrs.transposeA ? 1 : 0,
      attrs.transposeB ? 1 : 0,
      bias ? 1 : 0,
      act,
      (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
    ]);
  }),
];
