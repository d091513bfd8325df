/** Spatial layers: pooling, global pooling and zero padding. */
import { ConfigError } from '../../errors.ts';
import { convPads } from './conv.ts';
import { pair, type Cfg, type LayerContext } from './context.ts';

export function pool(op: 'MaxPool' | 'AveragePool') {
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

export function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (ctx: LayerContext): string => {
    if ((ctx.layer.config as Cfg).keepDims)
      throw new ConfigError(`${ctx.layer.name}: keepDims has no ONNX export here`);
    const y = ctx.g.op(op, [ctx.inputs[0]!.name], {}, `${ctx.layer.name}_nc11`);
    return ctx.g.op('Flatten', [y], { axis: { int: 1 } }, ctx.layer.name);
  };
}

export function zeroPadding2d(ctx: LayerContext): string {
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
