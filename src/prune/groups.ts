/**
 * Finds the channel groups network slimming may prune (Liu et al. 2017, "Learning Efficient
 * Convolutional Networks through Network Slimming", ICCV): a Conv2D whose output feeds only a
 * BatchNormalization, whose channels then flow through per-channel layers (activations, padding,
 * pooling, a depthwise conv with multiplier 1 and its BN, …) into convolutions or dense layers only.
 * Removing channel c then removes: the producer's output filter c, channel c of every per-channel
 * layer on the way, and input channel c of every consumer.
 *
 * A MixedConv2D made only of depthwise parts (MixNet) counts as per-channel: pruning shrinks its
 * parts (a part left without channels is dropped). A grouped MixedConv2D (ResNeXt) ties channels
 * across its groups and blocks a group, like an Add.
 *
 * Channels that reach an Add, a Concatenate, a model output or any layer not listed here stay:
 * their index is tied to another branch (a residual sum), so slicing one side would break the other.
 */
import type { LayerGraph, GraphLayer } from './layer-graph.ts';
import { isModelOutput } from './layer-graph.ts';

export interface PruneGroup {
  /** The Conv2D whose output filters are pruned. */
  producer: string;
  /** The BatchNormalization right after it; its |gamma| ranks the channels. */
  bn: string;
  /** Per-channel layers between the BN and the consumers (the BN included), in graph order. */
  channelLayers: string[];
  /** Conv2D / Dense layers whose input channels are pruned. */
  consumers: string[];
  /** Output channels of the producer. */
  channels: number;
}

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

function isPerChannel(layer: GraphLayer): boolean {
  if (layer.inputs.length !== 1) return false;
  if (layer.className === 'Activation') return layer.config.activation !== 'softmax';
  if (layer.className === 'DepthwiseConv2D') return (layer.config.depthMultiplier ?? 1) === 1;
  if (layer.className === 'BatchNormalization') return isChannelAxis(layer.config.axis);
  if (layer.className === 'MixedConv2D') return isDepthwiseMix(layer.config);
  if (layer.className === 'PReLU') return false; // its alpha may be shared across axes: keep it simple
  return PER_CHANNEL.has(layer.className);
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

function isConsumer(layer: GraphLayer): boolean {
  if (layer.inputs.length !== 1) return false;
  return layer.className === 'Conv2D' || layer.className === 'Dense';
}

/** A Conv2D that is not pruned, and why. */
export interface SkippedLayer {
  layer: string;
  reason: string;
}

type Reach = { channelLayers: string[]; consumers: string[] } | { blocked: string };

/**
 * Walks every path from `start` and returns the per-channel layers and consumers it reaches, or
 * why not when a path ends anywhere else (Add, Concatenate, an output, an unknown layer).
 */
function walk(graph: LayerGraph, start: string): Reach {
  const channelLayers: string[] = [];
  const consumers: string[] = [];
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (isModelOutput(graph, name)) return { blocked: `channels reach the model output ${name}` };
    const next = graph.consumers.get(name) ?? [];
    if (next.length === 0) return { blocked: `channels end at ${name}, which feeds nothing` };
    for (const n of next) {
      const layer = graph.byName.get(n)!;
      if (isConsumer(layer)) consumers.push(n);
      else if (isPerChannel(layer)) {
        channelLayers.push(n);
        stack.push(n);
      } else {
        const what = layer.className === 'MixedConv2D' ? 'a grouped MixedConv2D' : `${layer.className}`;
        return { blocked: `channels reach ${what} ${n}` };
      }
    }
  }
  return { channelLayers, consumers };
}

/** All prunable groups of the graph, in the model's layer order, and the Conv2D layers left out with the reason. */
export function analysePruning(graph: LayerGraph): { groups: PruneGroup[]; skipped: SkippedLayer[] } {
  const groups: PruneGroup[] = [];
  const skipped: SkippedLayer[] = [];
  const order = new Map(graph.layers.map((l, i) => [l.name, i]));
  for (const layer of graph.layers) {
    if (layer.className !== 'Conv2D') continue;
    const skip = (reason: string) => skipped.push({ layer: layer.name, reason });
    if (isModelOutput(graph, layer.name)) {
      skip('is a model output');
      continue;
    }
    const next = graph.consumers.get(layer.name) ?? [];
    const bn = next.length === 1 ? graph.byName.get(next[0]!)! : undefined;
    if (bn?.className !== 'BatchNormalization') {
      skip('is not followed by a BatchNormalization only');
      continue;
    }
    if (!isPerChannel(bn) || bn.config.scale === false) {
      skip(`${bn.name} has no per-channel gamma`);
      continue;
    }
    const reach = walk(graph, bn.name);
    if ('blocked' in reach) {
      skip(reach.blocked);
      continue;
    }
    const byOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
    groups.push({
      producer: layer.name,
      bn: bn.name,
      channelLayers: [bn.name, ...reach.channelLayers].sort(byOrder),
      consumers: [...new Set(reach.consumers)].sort(byOrder),
      channels: layer.config.filters as number,
    });
  }
  return { groups, skipped };
}

/** All prunable groups of the graph, in the model's layer order. */
export function findPruneGroups(graph: LayerGraph): PruneGroup[] {
  return analysePruning(graph).groups;
}
