/**
 * Elementwise kernels on the addon (native/src/elementwise.cc), plus the ones that only relabel
 * data: Identity and a Cast to the same dtype share the input's handle, Reshape views it.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { list, nativeKernel } from './kernel.ts';

const DTYPE_CODES: Record<string, number> = { float32: 0, int32: 1, bool: 2 };

const UNARY = [
  'Abs',
  'Neg',
  'Exp',
  'Log',
  'Log1p',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Relu',
  'Relu6',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'Reciprocal',
  'Elu',
  'Erf',
  'Sin',
  'Cos',
  'Expm1',
  'IsNan',
  'IsInf',
  'IsFinite',
  'LogicalNot',
  'ZerosLike',
  'OnesLike',
  'Selu',
  'Atan',
];
const BINARY = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Maximum',
  'Minimum',
  'Pow',
  'SquaredDifference',
  'FloorDiv',
  'Mod',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
  'Atan2',
];

const numeric = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';

export const elementwiseKernels: KernelConfig[] = [
  ...UNARY.map((name) => nativeKernel(name, ({ x }, be) => (numeric(x!) ? be.run1(name, [x!]) : null))),
  ...BINARY.map((name) =>
    nativeKernel(name, ({ a, b }, be) => (numeric(a!) && numeric(b!) ? be.run1(name, [a!, b!]) : null)),
  ),
  nativeKernel('MlcPipeReluGrad', ({ dy, x }, be) => be.run1('MlcPipeReluGrad', [dy!, x!])),
  nativeKernel('MlcPipeRelu6Grad', ({ dy, x }, be) => be.run1('MlcPipeRelu6Grad', [dy!, x!])),
  nativeKernel('AddN', (inputs, be) => {
    const ts = Object.values(inputs) as TensorInfo[];
    return ts.length === 1 ? be.share(ts[0]!) : be.run1('AddN', ts);
  }),
  nativeKernel('Prelu', ({ x, alpha }, be) => be.run1('Prelu', [x!, alpha!])),
  nativeKernel('Select', ({ condition, t, e }, be) => (numeric(t!) ? be.run1('Select', [condition!, t!, e!]) : null)),
  nativeKernel('ClipByValue', ({ x }, be, attrs) =>
    be.run1('ClipByValue', [x!], [attrs.clipValueMin as number, attrs.clipValueMax as number]),
  ),
  nativeKernel('Step', ({ x }, be, attrs) => be.run1('Step', [x!], [(attrs.alpha as number | undefined) ?? 0])),
  nativeKernel('LeakyRelu', ({ x }, be, attrs) =>
    be.run1('LeakyRelu', [x!], [(attrs.alpha as number | undefined) ?? 0.2]),
  ),
  nativeKernel('Softmax', ({ logits }, be, attrs) => {
    const dim = (attrs.dim as number | undefined) ?? -1;
    return be.run1('Softmax', [logits!], [dim < 0 ? dim + logits!.shape.length : dim]);
  }),
  nativeKernel('Cast', ({ x }, be, attrs) => {
    const dtype = attrs.dtype as string;
    if (dtype === x!.dtype) return be.share(x!);
    if (!numeric(x!) || DTYPE_CODES[dtype] === undefined) return null;
    return be.run1('Cast', [x!], [DTYPE_CODES[dtype]!]);
  }),
  nativeKernel('Identity', ({ x }, be) => be.share(x!)),
  nativeKernel('EluGrad', ({ dy, y }, be) => be.run1('EluGrad', [dy!, y!])),
  nativeKernel('ExpandDims', ({ input }, be, attrs) => {
    if (!numeric(input!)) return null;
    const shape = input!.shape.slice();
    const dim = attrs.dim as number;
    shape.splice(dim < 0 ? shape.length + 1 + dim : dim, 0, 1);
    return be.run1('Reshape', [input!], list(shape));
  }),
  nativeKernel('Reshape', ({ x }, be, attrs) => {
    if (!numeric(x!)) return null;
    const shape = attrs.shape as number[];
    const size = x!.shape.reduce((p, d) => p * d, 1);
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const target = shape.map((d) => (d === -1 ? size / known : d));
    // tfjs' gradients reshape to the same shape after every broadcasting op: share, no addon call.
    if (target.length === x!.shape.length && target.every((d, i) => d === x!.shape[i])) return be.share(x!);
    // A new handle viewing the same buffer: ops read shapes from the handles, not from tfjs.
    return be.run1('Reshape', [x!], list(target));
  }),
];
