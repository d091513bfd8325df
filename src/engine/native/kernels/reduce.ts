/** Reductions on the addon (native/src/reduce.cc). */
import { tf } from '../../tf.ts';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { list, nativeKernel } from './kernel.ts';

function reduction(name: string, axisAttr: 'axis' | 'reductionIndices'): KernelConfig {
  return nativeKernel(name, ({ x }, be, attrs) => {
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x!.shape);
    return be.run1(name, [x!], [attrs.keepDims ? 1 : 0, ...list(axes)]);
  });
}

function arg(name: string): KernelConfig {
  return nativeKernel(name, ({ x }, be, attrs) =>
    be.run1(name, [x!], [tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0]!]),
  );
}

export const reduceKernels: KernelConfig[] = [
  reduction('Sum', 'axis'),
  reduction('Mean', 'axis'),
  reduction('Max', 'reductionIndices'),
  reduction('Min', 'axis'),
  reduction('Prod', 'axis'),
  reduction('Any', 'axis'),
  reduction('All', 'axis'),
  arg('ArgMax'),
  arg('ArgMin'),
];
