/** MaxPool, AvgPool and their gradients on the addon (native/src/pool.cc), NHWC only. */
import { tf } from '../../tf.ts';
import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.ts';

/** [filterH, filterW, strideH, strideW, top, bottom, left, right], or null for NCHW data. */
function window(xShape: number[], attrs: NamedAttrMap): number[] | null {
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') return null;
  const c = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const p = c.padInfo;
  return [c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, p.top, p.bottom, p.left, p.right];
}

/** Kernel `name` with inputs `names` (names[shapeOf] is the pooled input, whose shape sets the window). */
function pool(name: string, names: string[], shapeOf = names.length - 1): KernelConfig {
  return nativeKernel(name, (inputs, be, attrs) => {
    const ts = names.map((n) => inputs[n]!);
    const w = window(ts[shapeOf]!.shape, attrs);
    return w && be.run1(name, ts, w);
  });
}

export const poolKernels: KernelConfig[] = [
  pool('MaxPool', ['x']),
  pool('MaxPoolGrad', ['dy', 'input', 'output'], 1),
  pool('AvgPool', ['x']),
  pool('AvgPoolGrad', ['dy', 'input']),
];
