/** Shape and data-movement kernels on the addon (native/src/shape.cc). */
import { tf } from '../../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { list, nativeKernel } from './kernel.ts';

const DTYPE_CODES: Record<string, number> = { float32: 0, int32: 1, bool: 2 };
const numeric = (t: TensorInfo) => DTYPE_CODES[t.dtype] !== undefined;
const axisOf = (axis: unknown, shape: number[]) => tf.util.parseAxisParam(axis as number, shape)[0]!;
const tensors = (inputs: unknown) => Object.values(inputs as Record<string, TensorInfo>);

export const shapeKernels: KernelConfig[] = [
  nativeKernel('Concat', (inputs, be, attrs) => {
    const ts = tensors(inputs);
    if (!ts.every(numeric)) return null;
    const axis = axisOf(attrs.axis, ts[0]!.shape);
    const nonEmpty = ts.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length === 1) return be.share(nonEmpty[0]!);
    return be.run1('Concat', nonEmpty.length ? nonEmpty : ts, [axis]);
  }),
  nativeKernel('Slice', ({ x }, be, attrs) => {
    if (!numeric(x!)) return null;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin as number[],
      attrs.size as number[],
    );
    return be.run1('Slice', [x!], [x!.shape.length, ...begin, ...size]);
  }),
  nativeKernel('PadV2', ({ x }, be, attrs) => {
    if (!numeric(x!)) return null;
    const paddings = attrs.paddings as Array<[number, number]>;
    const pads = paddings.slice().reverse().flat();
    return be.run1('PadV2', [x!], [attrs.constantValue as number, ...list(pads)]);
  }),
  nativeKernel('Transpose', ({ x }, be, attrs) =>
    numeric(x!) ? be.run1('Transpose', [x!], list(attrs.perm as number[])) : null,
  ),
  nativeKernel('Tile', ({ x }, be, attrs) =>
    numeric(x!) ? be.run1('Tile', [x!], list(attrs.reps as number[])) : null,
  ),
  nativeKernel('SplitV', ({ x }, be, attrs) => {
    if (!numeric(x!)) return null;
    const axis = axisOf(attrs.axis, x!.shape);
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number | number[], axis);
    return be.run('SplitV', [x!], [axis, ...list(sizes)]);
  }),
  nativeKernel('Pack', (inputs, be, attrs) => {
    const ts = tensors(inputs);
    if (!ts.every(numeric)) return null;
    return be.run1('Pack', ts, [axisOf(attrs.axis, [...ts[0]!.shape, 1])]);
  }),
  nativeKernel('Unpack', ({ value }, be, attrs) =>
    numeric(value!) ? be.run('Unpack', [value!], [axisOf(attrs.axis, value!.shape)]) : null,
  ),
  nativeKernel('Reverse', ({ x }, be, attrs) =>
    numeric(x!) ? be.run1('Reverse', [x!], list(tf.util.parseAxisParam(attrs.dims as number[], x!.shape))) : null,
  ),
  nativeKernel('GatherV2', ({ x, indices }, be, attrs) => {
    if (!numeric(x!) || ((attrs.batchDims as number | undefined) ?? 0) !== 0) return null;
    return be.run1('GatherV2', [x!, indices!], [axisOf(attrs.axis, x!.shape)]);
  }),
  nativeKernel('OneHot', ({ indices }, be, attrs) => {
    const dtype = DTYPE_CODES[(attrs.dtype as string | undefined) ?? 'int32'];
    if (dtype === undefined) return null;
    return be.run1(
      'OneHot',
      [indices!],
      [attrs.depth as number, attrs.onValue as number, attrs.offValue as number, dtype],
    );
  }),
  nativeKernel('Fill', (_inputs, be, attrs) => {
    const dtype = DTYPE_CODES[(attrs.dtype as string | undefined) ?? 'float32'];
    if (dtype === undefined || typeof attrs.value !== 'number') return null;
    return be.run1('Fill', [], [dtype, attrs.value, ...list(attrs.shape as number[])]);
  }),
  nativeKernel('Range', (_inputs, be, attrs) => {
    const { start, stop, step } = attrs as { start: number; stop: number; step: number };
    const dtype = DTYPE_CODES[(attrs.dtype as string | undefined) ?? 'float32'];
    if (dtype === undefined || step === 0) return null;
    return be.run1('Range', [], [start, step, Math.max(Math.ceil((stop - start) / step), 0), dtype]);
  }),
];
