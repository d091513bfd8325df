/** Activations: Keras activation names, and the ReLU / LeakyReLU / Activation layers. */
import { ConfigError } from '../../errors.ts';
import type { OnnxGraph } from '../onnx-graph.ts';
import type { Cfg, LayerContext } from './context.ts';

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

export function clip(g: OnnxGraph, x: string, min: number, max: number, base: string): string {
  return g.op('Clip', [x, g.float(`${base}_min`, [], [min]), g.float(`${base}_max`, [], [max])], {}, base);
}

export function relu(ctx: LayerContext): string {
  const c = ctx.layer.config as Cfg;
  const x = ctx.inputs[0]!.name;
  if (c.maxValue !== undefined && c.maxValue !== null) return clip(ctx.g, x, 0, c.maxValue as number, ctx.layer.name);
  return ctx.g.op('Relu', [x], {}, ctx.layer.name);
}

export function activationLayer(ctx: LayerContext): string {
  const name = (ctx.layer.config as Cfg).activation as string;
  const y = activation(ctx.g, ctx.inputs[0]!.name, name, ctx.layer.name, ctx.inputs[0]!.shape.length);
  return y === ctx.inputs[0]!.name ? ctx.g.op('Identity', [y], {}, ctx.layer.name) : y;
}

export function leakyRelu(ctx: LayerContext): string {
  return ctx.g.op(
    'LeakyRelu',
    [ctx.inputs[0]!.name],
    { alpha: { float: ((ctx.layer.config as Cfg).alpha as number) ?? 0.3 } },
    ctx.layer.name,
  );
}
