/** MaxPool, AvgPool and their gradients on the addon (native/src/pool.cc), NHWC only. */
import { tf } from '../../tf.ts';
import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.ts';

/** [filterH, filterW, strideH, strideW, top, bottom, left, right], or null for NCHW data. */
function window(xShape: number[], attrs: NamedAttrMap): number[] | null {
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') return null;
  const c = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], attrs.filterSize as [number, number],
    attrs.strides as [number, number], 1, attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
  const p = c.padInfo;
  return [c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, p.top, p.bottom, p.left, p.right];
}

export const poolKernels: KernelConfig[] = [
  nativeKernel('MaxPool', ({ x }, be, attrs) => {
    const w = window(x!.shape, attrs);
    return w && be.run1('MaxPool', [x!], w);
  }),
  nativeKernel('MaxPoolGrad', ({ dy, input }, be, attrs) => {
    const w = window(input!.shape, attrs);
    return w && be.run1('MaxPoolGrad', [dy!, input!], w);
  }),
  nativeKernel('AvgPool', ({ x }, be, attrs) => {
    const w = window(x!.shape, attrs);
    return w && be.run1('AvgPool', [x!], w);
  }),
  nativeKernel('AvgPoolGrad', ({ dy, input }, be, attrs) => {
    const w = window(input!.shape, attrs);
    return w && be.run1('AvgPoolGrad', [dy!, input!], w);
  }),
];
