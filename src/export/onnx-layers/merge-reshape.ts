/** Layers that combine or reshape tensors: element-wise merges, Concatenate, Flatten, inference identities. */
import { onnxAxis, type Cfg, type LayerContext, type LayerConverter } from './context.ts';

export function binary(op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min') {
  return (ctx: LayerContext): string => {
    const names = ctx.inputs.map((v) => v.name);
    let y = names[0]!;
    for (let i = 1; i < names.length; i++) y = ctx.g.op(op, [y, names[i]!], {}, ctx.layer.name);
    return y;
  };
}

export function concatenate(ctx: LayerContext): string {
  const axis = ((ctx.layer.config as Cfg).axis as number) ?? -1;
  return ctx.g.op(
    'Concat',
    ctx.inputs.map((v) => v.name),
    { axis: { int: onnxAxis(axis, ctx.inputs[0]!.shape.length) } },
    ctx.layer.name,
  );
}

export function flatten(ctx: LayerContext): string {
  const [input] = ctx.inputs;
  const x =
    input!.shape.length === 4
      ? ctx.g.op('Transpose', [input!.name], { perm: { ints: [0, 2, 3, 1] } }, `${ctx.layer.name}_nhwc`)
      : input!.name;
  return ctx.g.op('Flatten', [x], { axis: { int: 1 } }, ctx.layer.name);
}

/** Layers that are the identity at inference. */
export const identity: LayerConverter = (ctx) => ctx.inputs[0]!.name;
