/**
 * What a layer does to the channels of its input, as the pruning analysis (groups.ts) sees it:
 * per channel (channel c out depends only on channel c in), an elementwise merge, a reader whose
 * input channels may be pruned, or a producer whose output filters may be.
 */
import type { GraphLayer } from './layer-graph.ts';

/** Layers that act on each channel separately (output channel c depends only on input channel c). */
const PER_CHANNEL = new Set([
  'BatchNormalization',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'ThresholdedReLU',
  'PReLU',
  'ZeroPadding2D',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'DepthwiseConv2D',
]);

/** Layers whose inputs and output share channel indices (elementwise merges). */
const MERGE = new Set(['Add', 'Multiply', 'Subtract', 'Maximum', 'Minimum', 'Average']);

export function isPerChannel(layer: GraphLayer): boolean {
  if (layer.inputs.length !== 1) return false;
  if (layer.className === 'Activation') return layer.config.activation !== 'softmax';
  if (layer.className === 'DepthwiseConv2D') return (layer.config.depthMultiplier ?? 1) === 1;
  if (layer.className === 'BatchNormalization') return isChannelAxis(layer.config.axis);
  if (layer.className === 'MixedConv2D') return isDepthwiseMix(layer.config);
  if (layer.className === 'PReLU') return false; // its alpha may be shared across axes: keep it simple
  return PER_CHANNEL.has(layer.className);
}

/** An elementwise merge (Add, Multiply, …): its inputs and output share channel indices. */
export function isMerge(layer: GraphLayer): boolean {
  return MERGE.has(layer.className);
}

/** A MixedConv2D whose parts are all depthwise (MixNet) acts per channel; grouped parts (ResNeXt) do not. */
function isDepthwiseMix(config: Record<string, unknown>): boolean {
  const parts = config.parts as Array<{ channels: number; groups: number }> | undefined;
  return Array.isArray(parts) && parts.every((p) => p.groups === p.channels);
}

function isChannelAxis(axis: unknown): boolean {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  return a.length === 1 && (a[0] === -1 || a[0] === 3);
}

/** A layer whose input channels may be pruned: Conv2D, Dense or a grouped MixedConv2D with one input. */
export function isConsumer(layer: GraphLayer): boolean {
  return (
    layer.inputs.length === 1 && (layer.className === 'Conv2D' || layer.className === 'Dense' || isGroupedMix(layer))
  );
}

/** A MixedConv2D with at least one grouped (not depthwise) part: reads its input like a conv. */
export function isGroupedMix(layer: GraphLayer): boolean {
  const parts = layer.config.parts as Array<{ channels: number; groups: number }> | undefined;
  return layer.className === 'MixedConv2D' && Array.isArray(parts) && parts.every((p) => p.groups !== p.channels);
}

/** Conv2D or a grouped MixedConv2D: a layer whose output filters may be pruned. */
export function isProducerConv(layer: GraphLayer): boolean {
  return layer.className === 'Conv2D' || isGroupedMix(layer);
}

/** The layer as named in a skip reason. */
export function describe(layer: GraphLayer): string {
  return layer.className === 'MixedConv2D' ? `a grouped MixedConv2D ${layer.name}` : `${layer.className} ${layer.name}`;
}
