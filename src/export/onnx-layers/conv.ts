/** Convolutions: Conv2D, DepthwiseConv2D and the model zoo's MixedConv2D, with a folded BatchNormalization. */
import { ConfigError } from '../../errors.ts';
import { depthwiseToOihw, foldAffine, hwioToOihw, samePads } from '../weights.ts';
import { activation } from './activations.ts';
import { pair, type Cfg, type LayerContext, type Value } from './context.ts';

/** Explicit ONNX pads [top, left, bottom, right] for a tfjs padding mode. */
export function convPads(
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

export function conv2d(ctx: LayerContext): string {
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

export function depthwiseConv2d(ctx: LayerContext): string {
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
export function mixedConv2d(ctx: LayerContext): string {
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
