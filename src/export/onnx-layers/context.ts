/**
 * What every layer converter receives. Inside the ONNX graph every rank-4 tensor is NCHW (weights are
 * transposed once at export), rank-2 tensors are [N, features] as in tfjs. Shapes carried along are
 * the tfjs (NHWC) static shapes, batch as null.
 */
import type { GraphLayer } from '../../prune/layer-graph.ts';
import type { OnnxGraph } from '../onnx-graph.ts';
import type { ChannelAffine, Weight } from '../weights.ts';

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

export type Cfg = Record<string, unknown>;

export const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

/** NHWC axis (possibly negative) of a rank-`rank` tensor → axis in the ONNX layout. */
export function onnxAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}
