/**
 * One converter per tfjs-layers class. Inside the ONNX graph every rank-4 tensor is NCHW (weights are
 * transposed once at export), rank-2 tensors are [N, features] as in tfjs. Shapes carried along are
 * the tfjs (NHWC) static shapes, batch as null.
 */
import { ConfigError } from '../errors.ts';
import type { GraphLayer } from '../prune/layer-graph.ts';
import type { OnnxGraph } from './onnx-graph.ts';
import {
  batchNormAffine,
  depthwiseToOihw,
  foldAffine,
  hwioToOihw,
  samePads,
  type ChannelAffine,
  type Weight,
} from './weights.ts';

/** A value in the ONNX graph with the tfjs shape of the tensor it stands for. */
export interface Value {
  name: string;
  /** tfjs shape (NHWC for rank 4), batch null. */
  shape: (number | null)[];
}

export interface LayerContext {
  g: OnnxGraph;
  layer: GraphLayer;
  /** The layer's weights, in `layer.weights` order. */
  weights: Weight[];
  inputs: Value[];
  /** tfjs output shape of the layer. */
  outputShape: (number | null)[];
  /** A BatchNormalization folded into this layer's output (conv-like layers only). */
  fold?: ChannelAffine;
}

export type LayerConverter = (ctx: LayerContext) => string;

type Cfg = Record<string, unknown>;

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

/** NHWC axis (possibly negative) of a rank-`rank` tensor → axis in the ONNX layout. */
export function onnxAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}

/** Applies a Keras activation by name; `linear` returns the input unchanged. */
export function activation(g: OnnxGraph, x: string, name: string | undefined, base: string, rank: number): string {
  switch (name ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], {}, base);
    case 'relu6':
      return clip(g, x, 0, 6, base);
    case 'sigmoid':
      return g.op('Sigmoid', [x], {}, base);
    case 'tanh':
      return g.op('Tanh', [x], {}, base);
    case 'elu':
      return g.op('Elu', [x], { alpha: { float: 1 } }, base);
    case 'selu':
      return g.op('Selu', [x], {}, base);
    case 'softplus':
      return g.op('Softplus', [x], {}, base);
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x], {}, `${base}_sigmoid`)], {}, base);
    case 'softmax':
      if (rank !== 2)
        throw new ConfigError(`${base}: softmax is only exported on rank-2 tensors (received rank ${rank})`);
      return g.op('Softmax', [x], { axis: { int: 1 } }, base);
    default:
      throw new ConfigError(`${base}: activation "${name}" has no ONNX export`, {
        hint: 'supported: linear, relu, relu6, sigmoid, tanh, elu, selu, softplus, swish, softmax',
      });
  }
}

function clip(g: OnnxGraph, x: string, min: number, max: number, base: string): string {
  return g.op('Clip', [x, g.float(`${base}_min`, [], [min]), g.float(`${base}_max`, [], [max])], {}, base);
}

/** Explicit ONNX pads [top, left, bottom, right] for a tfjs padding mode. */
function convPads(
  padding: unknown,
  input: Value,
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
  where: string,
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same')
    throw new ConfigError(`${where}: padding "${String(padding)}" has no ONNX export`, {
      hint: "use 'same' or 'valid'",
    });
  const [h, w] = [input.shape[1], input.shape[2]];
  if (typeof h !== 'number' || typeof w !== 'number') {
    throw new ConfigError(`${where}: 'same' padding needs a fixed input height and width`, {
      hint: 'build the model with a fixed inputShape',
    });
  }
  const [t, b] = samePads(h, kernel[0], strides[0], dilation[0]);
  const [l, r] = samePads(w, kernel[1], strides[1], dilation[1]);
  return [t, l, b, r];
}

/** Emits one Conv node from an OIHW weight, folding `fold` (from channel `offset`) in. */
function emitConv(
  ctx: LayerContext,
  x: string,
  oihw: { dims: number[]; data: Float32Array },
  bias: Float32Array | null,
  opts: {
    strides: [number, number];
    dilation: [number, number];
    pads: number[];
    group: number;
    offset?: number;
    base: string;
  },
): string {
  const { g } = ctx;
  const folded = foldAffine(oihw, bias, ctx.fold, opts.offset ?? 0);
  const inputs = [x, g.float(`${opts.base}/W`, oihw.dims, folded.weight)];
  if (folded.bias) inputs.push(g.float(`${opts.base}/B`, [oihw.dims[0]!], folded.bias));
  return g.op(
    'Conv',
    inputs,
    {
      kernel_shape: { ints: oihw.dims.slice(2) },
      strides: { ints: opts.strides },
      dilations: { ints: opts.dilation },
      pads: { ints: opts.pads },
      group: { int: opts.group },
    },
    opts.base,
  );
}

function conv2d(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const [input] = ctx.inputs;
  const kernel = pair(c.kernelSize),
    strides = pair(c.strides ?? 1),
    dilation = pair(c.dilationRate ?? 1);
  const pads = convPads(c.padding, input!, kernel, strides, dilation, ctx.layer.name);
  const bias = c.useBias === false ? null : ctx.weights[1]!.data;
  const y = emitConv(ctx, input!.name, hwioToOihw(ctx.weights[0]!), bias, {
    strides,
    dilation,
    pads,
    group: 1,
    base: ctx.layer.name,
  });
  return activation(ctx.g, y, c.activation as string, `${ctx.layer.name}_act`, 4);
}

function depthwiseConv2d(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const [input] = ctx.inputs;
  const kernel = pair(c.kernelSize),
    strides = pair(c.strides ?? 1),
    dilation = pair(c.dilationRate ?? 1);
  const pads = convPads(c.padding, input!, kernel, strides, dilation, ctx.layer.name);
  const bias = c.useBias === false ? null : ctx.weights[1]!.data;
  const channels = ctx.weights[0]!.shape[2]!;
  const y = emitConv(ctx, input!.name, depthwiseToOihw(ctx.weights[0]!), bias, {
    strides,
    dilation,
    pads,
    group: channels,
    base: ctx.layer.name,
  });
  return activation(ctx.g, y, c.activation as string, `${ctx.layer.name}_act`, 4);
}

/** The model zoo's MixedConv2D: Split on channels → one grouped Conv per part → Concat. */
function mixedConv2d(ctx: LayerContext): string {
  const c = ctx.layer.config as {
    parts: Array<{ channels: number; kernel: number; groups: number; inChannels?: number }>;
    strides?: number;
  };
  const { g } = ctx;
  const [input] = ctx.inputs;
  const strides = pair(c.strides ?? 1);
  const base = ctx.layer.name;
  const pieces =
    c.parts.length === 1
      ? [input!.name]
      : g.node(
          'Split',
          [
            input!.name,
            g.int64(
              `${base}/split`,
              c.parts.map((p) => p.inChannels ?? p.channels),
            ),
          ],
          { axis: { int: 1 } },
          `${base}_part`,
          c.parts.length,
        );
  let offset = 0;
  const outs = c.parts.map((p, i) => {
    const w = ctx.weights[i]!;
    const depthwise = p.groups === p.channels;
    const oihw = depthwise ? depthwiseToOihw(w) : hwioToOihw(w);
    const pads = convPads('same', input!, [p.kernel, p.kernel], strides, [1, 1], base);
    const y = emitConv(ctx, pieces[i]!, oihw, null, {
      strides,
      dilation: [1, 1],
      pads,
      group: p.groups,
      offset,
      base: `${base}_part${i}`,
    });
    offset += p.channels;
    return y;
  });
  return outs.length === 1 ? outs[0]! : g.op('Concat', outs, { axis: { int: 1 } }, base);
}

function batchNormalization(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const [input] = ctx.inputs;
  const axis = (Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1)) as number;
  const rank = input!.shape.length;
  if (onnxAxis(axis, rank) !== 1)
    throw new ConfigError(
      `${ctx.layer.name}: BatchNormalization over axis ${axis} of a rank-${rank} tensor has no ONNX export (only the channel axis)`,
    );
  let k = 0;
  const gamma = c.scale === false ? null : ctx.weights[k++]!.data;
  const beta = c.center === false ? null : ctx.weights[k++]!.data;
  const mean = ctx.weights[k++]!.data;
  const variance = ctx.weights[k++]!.data;
  const n = mean.length;
  const { g } = ctx;
  const base = ctx.layer.name;
  return g.op(
    'BatchNormalization',
    [
      input!.name,
      g.float(`${base}/scale`, [n], gamma ?? new Float32Array(n).fill(1)),
      g.float(`${base}/B`, [n], beta ?? new Float32Array(n)),
      g.float(`${base}/mean`, [n], mean),
      g.float(`${base}/var`, [n], variance),
    ],
    { epsilon: { float: (c.epsilon as number) ?? 1e-3 } },
    base,
  );
}

/** Folds a BN layer into a per-channel affine map (used when it follows a conv). */
export function batchNormToAffine(layer: GraphLayer, weights: Weight[]): ChannelAffine {
  const c = layer.config as Cfg;
  let k = 0;
  const gamma = c.scale === false ? null : weights[k++]!.data;
  const beta = c.center === false ? null : weights[k++]!.data;
  return batchNormAffine(gamma, beta, weights[k]!.data, weights[k + 1]!.data, (c.epsilon as number) ?? 1e-3);
}

function dense(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const { g } = ctx;
  const [input] = ctx.inputs;
  const base = ctx.layer.name;
  const kernel = ctx.weights[0]!;
  const bias = c.useBias === false ? null : ctx.weights[1]!;
  const rank = input!.shape.length;
  let y: string;
  if (rank === 2) {
    const inputs = [input!.name, g.float(`${base}/W`, kernel.shape, kernel.data)];
    if (bias) inputs.push(g.float(`${base}/B`, bias.shape, bias.data));
    y = g.op('Gemm', inputs, {}, base);
  } else {
    // Dense on the last axis of an NHWC tensor: back to NHWC, MatMul (+ bias), forward to NCHW.
    const x =
      rank === 4 ? g.op('Transpose', [input!.name], { perm: { ints: [0, 2, 3, 1] } }, `${base}_nhwc`) : input!.name;
    y = g.op('MatMul', [x, g.float(`${base}/W`, kernel.shape, kernel.data)], {}, base);
    if (bias) y = g.op('Add', [y, g.float(`${base}/B`, bias.shape, bias.data)], {}, `${base}_bias`);
    if (rank === 4) y = g.op('Transpose', [y], { perm: { ints: [0, 3, 1, 2] } }, `${base}_nchw`);
  }
  return activation(g, y, c.activation as string, `${base}_act`, rank);
}

function relu(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const x = ctx.inputs[0]!.name;
  if (c.maxValue !== undefined && c.maxValue !== null) return clip(ctx.g, x, 0, c.maxValue as number, ctx.layer.name);
  return ctx.g.op('Relu', [x], {}, ctx.layer.name);
}

function pool(op: 'MaxPool' | 'AveragePool') {
  return (ctx: LayerContext): string => {
    const c = ctx.layer.config as Cfg;
    const [input] = ctx.inputs;
    const kernel = pair(c.poolSize ?? 2);
    const strides = pair(c.strides ?? c.poolSize ?? 2);
    const pads = convPads(c.padding ?? 'valid', input!, kernel, strides, [1, 1], ctx.layer.name);
    // AveragePool: TF 'same' averages over the valid pixels only = count_include_pad 0 (the default).
    return ctx.g.op(
      op,
      [input!.name],
      { kernel_shape: { ints: kernel }, strides: { ints: strides }, pads: { ints: pads } },
      ctx.layer.name,
    );
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (ctx: LayerContext): string => {
    if ((ctx.layer.config as Cfg).keepDims)
      throw new ConfigError(`${ctx.layer.name}: keepDims has no ONNX export here`);
    const y = ctx.g.op(op, [ctx.inputs[0]!.name], {}, `${ctx.layer.name}_nc11`);
    return ctx.g.op('Flatten', [y], { axis: { int: 1 } }, ctx.layer.name);
  };
}

function zeroPadding2d(ctx: LayerContext): string {
  const p = (ctx.layer.config as Cfg).padding;
  const [[t, b], [l, r]] = Array.isArray(p) ? (p as unknown[]).map((v) => pair(v)) : [pair(p), pair(p)];
  const { g } = ctx;
  return g.op(
    'Pad',
    [ctx.inputs[0]!.name, g.int64(`${ctx.layer.name}/pads`, [0, 0, t, l, 0, 0, b, r])],
    { mode: { string: 'constant' } },
    ctx.layer.name,
  );
}

function binary(op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min') {
  return (ctx: LayerContext): string => {
    const names = ctx.inputs.map((v) => v.name);
    let y = names[0]!;
    for (let i = 1; i < names.length; i++) y = ctx.g.op(op, [y, names[i]!], {}, ctx.layer.name);
    return y;
  };
}

function concatenate(ctx: LayerContext): string {
  const axis = ((ctx.layer.config as Cfg).axis as number) ?? -1;
  return ctx.g.op(
    'Concat',
    ctx.inputs.map((v) => v.name),
    { axis: { int: onnxAxis(axis, ctx.inputs[0]!.shape.length) } },
    ctx.layer.name,
  );
}

function flatten(ctx: LayerContext): string {
  const [input] = ctx.inputs;
  const x =
    input!.shape.length === 4
      ? ctx.g.op('Transpose', [input!.name], { perm: { ints: [0, 2, 3, 1] } }, `${ctx.layer.name}_nhwc`)
      : input!.name;
  return ctx.g.op('Flatten', [x], { axis: { int: 1 } }, ctx.layer.name);
}

function activationLayer(ctx: LayerContext): string {
  const name = (ctx.layer.config as Cfg).activation as string;
  const y = activation(ctx.g, ctx.inputs[0]!.name, name, ctx.layer.name, ctx.inputs[0]!.shape.length);
  return y === ctx.inputs[0]!.name ? ctx.g.op('Identity', [y], {}, ctx.layer.name) : y;
}

function leakyRelu(ctx: LayerContext): string {
  return ctx.g.op(
    'LeakyRelu',
    [ctx.inputs[0]!.name],
    { alpha: { float: ((ctx.layer.config as Cfg).alpha as number) ?? 0.3 } },
    ctx.layer.name,
  );
}

/** Layers that are the identity at inference. */
const identity: LayerConverter = (ctx) => ctx.inputs[0]!.name;

/** Every tfjs layer class the exporter handles. */
export const CONVERTERS: ReadonlyMap<string, LayerConverter> = new Map<string, LayerConverter>([
  ['Conv2D', conv2d],
  ['DepthwiseConv2D', depthwiseConv2d],
  ['MixedConv2D', mixedConv2d],
  ['BatchNormalization', batchNormalization],
  ['Dense', dense],
  ['ReLU', relu],
  ['LeakyReLU', leakyRelu],
  ['Activation', activationLayer],
  ['MaxPooling2D', pool('MaxPool')],
  ['AveragePooling2D', pool('AveragePool')],
  ['GlobalAveragePooling2D', globalPool('GlobalAveragePool')],
  ['GlobalMaxPooling2D', globalPool('GlobalMaxPool')],
  ['ZeroPadding2D', zeroPadding2d],
  ['Add', binary('Add')],
  ['Multiply', binary('Mul')],
  ['Subtract', binary('Sub')],
  ['Maximum', binary('Max')],
  ['Minimum', binary('Min')],
  ['Concatenate', concatenate],
  ['Flatten', flatten],
  ['Dropout', identity],
  ['SpatialDropout2D', identity],
  ['GaussianNoise', identity],
  ['GaussianDropout', identity],
]);

/** Layer classes a BatchNormalization right after them can be folded into. */
export const FOLDABLE = new Set(['Conv2D', 'DepthwiseConv2D', 'MixedConv2D']);
