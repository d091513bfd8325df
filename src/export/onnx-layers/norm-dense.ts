/** BatchNormalization (standalone) and Dense. */
import { ConfigError } from '../../errors.ts';
import type { GraphLayer } from '../../prune/layer-graph.ts';
import { batchNormAffine, type ChannelAffine, type Weight } from '../weights.ts';
import { activation } from './activations.ts';
import { onnxAxis, type Cfg, type LayerContext } from './context.ts';

export function batchNormalization(ctx: LayerContext): string {
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

export function dense(ctx: LayerContext): string {
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
