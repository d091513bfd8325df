/**
 * Finds the channel groups network slimming may prune (Liu et al. 2017, "Learning Efficient
 * Convolutional Networks through Network Slimming", ICCV).
 *
 * Every layer output is a channel space; spaces are merged (union-find) where channel c of one is
 * channel c of the other: through per-channel layers (BN, activations, padding, pooling, GAP, a
 * depthwise conv with multiplier 1, a MixedConv2D made only of depthwise parts) and, in `residual`
 * mode, across Add/Multiply/Maximum/…. A group is one merged space whose origins are Conv2D layers,
 * each followed only by a BatchNormalization, and whose readers are Conv2D/Dense layers. Removing
 * channel c removes: output filter c of every producer conv, channel c of every per-channel layer in
 * the space, and input channel c of every consumer.
 *
 * Default (strict) mode is the paper's: one producer and no merge layer, so channels that meet a
 * residual Add stay. `residual: true` also prunes residual streams, every conv and BN that feeds one
 * Add chain at the same indices, ranked by the mean |gamma| over those BNs.
 *
 * A grouped MixedConv2D (the seed's ResNeXt-18) may read a group: its input channels are pruned
 * group-consistently, every group of a part keeping the same number of its own channels (the
 * part's kernel [k, k, in/groups, out] then loses the same input rows in each group, see
 * `GroupBlocks`). It may also produce one, like a Conv2D followed by a BatchNormalization: its
 * output channels are then pruned group-consistently too (each group of a part keeps equally many,
 * at least 2, so a part never turns into a depthwise one), e.g. ResNeXt's residual streams in
 * `residual` mode, where the grouped conv of each block and the projection conv meet at the Adds.
 * All grouped layouts a space meets (readers' inputs, producers' outputs) must be the same. A space
 * that reaches a Concatenate, Flatten, a model output or the model input, or any layer not listed
 * here, is kept whole.
 */
import type { LayerGraph, GraphLayer } from './layer-graph.ts';
import { isModelOutput } from './layer-graph.ts';

export interface PruneGroup {
  /** The first Conv2D (or grouped MixedConv2D) whose output filters are pruned (see `producers`). */
  producer: string;
  /** The BatchNormalization right after `producer`. */
  bn: string;
  /** Every Conv2D / grouped MixedConv2D whose output filters are pruned (several when they meet at an Add). */
  producers: string[];
  /** The BN right after each producer; the mean of their |gamma| ranks the channels. */
  bns: string[];
  /** Every other layer carrying these channels (BNs, activations, pools, Adds, …), in graph order. */
  channelLayers: string[];
  /** Conv2D / Dense layers whose input channels are pruned. */
  consumers: string[];
  /** Output channels of the producers. */
  channels: number;
  /**
   * Group-consistency constraints from grouped MixedConv2D readers (a part's input range) or
   * producers (a part's output range): each entry is split into `groups` equal blocks that must
   * keep equally many channels. Absent when no grouped MixedConv2D reads or produces the channels.
   */
  blocks?: GroupBlocks[];
}

/** `groups` consecutive blocks of `size` channels from `start`; each block keeps the same count. */
export interface GroupBlocks {
  start: number;
  size: number;
  groups: number;
  /** Channels each block keeps at least. Defaults to 1. */
  min?: number;
}

/** The input blocks of a grouped MixedConv2D, one entry per grouped part (groups = 1 included, so a part never loses all its inputs). */
export function mixedConvBlocks(config: Record<string, unknown>): GroupBlocks[] {
  const parts = config.parts as Array<{ channels: number; groups: number; inChannels?: number }>;
  const out: GroupBlocks[] = [];
  let start = 0;
  for (const p of parts) {
    const cin = p.inChannels ?? p.channels;
    if (p.groups !== p.channels) out.push({ start, size: cin / p.groups, groups: p.groups });
    start += cin;
  }
  return out;
}

/** The output blocks of a grouped MixedConv2D producer: each group of a part keeps equally many outputs, at least 2 (1 per group would read as a depthwise part). */
export function mixedConvOutputBlocks(config: Record<string, unknown>): GroupBlocks[] {
  const parts = config.parts as Array<{ channels: number; groups: number }>;
  const out: GroupBlocks[] = [];
  let start = 0;
  for (const p of parts) {
    out.push({ start, size: p.channels / p.groups, groups: p.groups, min: 2 });
    start += p.channels;
  }
  return out;
}

/** Output channels of a Conv2D (filters) or a MixedConv2D (its parts' channels). */
function outputChannels(layer: GraphLayer): number {
  const parts = layer.config.parts as Array<{ channels: number }> | undefined;
  return Array.isArray(parts) ? parts.reduce((n, p) => n + p.channels, 0) : (layer.config.filters as number);
}

export interface AnalyseOptions {
  /** Also prune channels tied together by residual Adds. Defaults to false (the paper's rule). */
  residual?: boolean;
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


/** A Conv2D that is not pruned, and why. */
export interface SkippedLayer {
  layer: string;
  reason: string;
}

/** Layers whose inputs and output share channel indices (elementwise merges). */
const MERGE = new Set(['Add', 'Multiply', 'Subtract', 'Maximum', 'Minimum', 'Average']);

function isConsumer(layer: GraphLayer): boolean {
  return layer.inputs.length === 1 && (layer.className === 'Conv2D' || layer.className === 'Dense' || isGroupedMix(layer));
}

/** A MixedConv2D with at least one grouped (not depthwise) part: reads its input like a conv. */
function isGroupedMix(layer: GraphLayer): boolean {
  const parts = layer.config.parts as Array<{ channels: number; groups: number }> | undefined;
  return layer.className === 'MixedConv2D' && Array.isArray(parts) && parts.every((p) => p.groups !== p.channels);
}

class Spaces {
  private parent = new Map<string, string>();
  find(x: string): string {
    let r = x;
    while (this.parent.has(r)) r = this.parent.get(r)!;
    if (r !== x) this.parent.set(x, r);
    return r;
  }
  union(a: string, b: string): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

/** Conv2D or a grouped MixedConv2D: a layer whose output filters may be pruned. */
function isProducerConv(layer: GraphLayer): boolean {
  return layer.className === 'Conv2D' || isGroupedMix(layer);
}

function describe(layer: GraphLayer): string {
  return layer.className === 'MixedConv2D' ? `a grouped MixedConv2D ${layer.name}` : `${layer.className} ${layer.name}`;
}

/** All prunable groups of the graph, in the model's layer order, and the Conv2D layers left out with the reason. */
export function analysePruning(graph: LayerGraph, options: AnalyseOptions = {}): { groups: PruneGroup[]; skipped: SkippedLayer[] } {
  const spaces = new Spaces();
  const order = new Map(graph.layers.map((l, i) => [l.name, i]));
  const byOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
  for (const layer of graph.layers) {
    if (isPerChannel(layer) || MERGE.has(layer.className)) for (const r of layer.inputs) spaces.union(r.layer, layer.name);
  }
  // Why a space cannot be pruned (first reason wins), and who reads it.
  const frozen = new Map<string, string>();
  const freeze = (layer: string, reason: string) => {
    const root = spaces.find(layer);
    if (!frozen.has(root)) frozen.set(root, reason);
  };
  const consumers = new Map<string, string[]>();
  const members = new Map<string, string[]>();
  for (const layer of graph.layers) {
    const root = spaces.find(layer.name);
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(layer.name);
    if (layer.className === 'InputLayer') freeze(layer.name, `channels reach the model input ${layer.name}`);
    if (isModelOutput(graph, layer.name)) freeze(layer.name, `channels reach the model output ${layer.name}`);
    if (isPerChannel(layer) || MERGE.has(layer.className)) continue;
    for (const r of layer.inputs) {
      if (isConsumer(layer)) {
        const rr = spaces.find(r.layer);
        if (!consumers.has(rr)) consumers.set(rr, []);
        consumers.get(rr)!.push(layer.name);
      } else freeze(r.layer, `channels reach ${describe(layer)}`);
    }
  }

  const groups: PruneGroup[] = [];
  const skipped: SkippedLayer[] = [];
  const done = new Set<string>();
  for (const layer of graph.layers) {
    if (!isProducerConv(layer)) continue;
    const root = spaces.find(layer.name);
    if (done.has(root)) continue;
    done.add(root);
    const inSpace = members.get(root)!;
    const producers = inSpace.filter((n) => !isPerChannel(graph.byName.get(n)!) && !MERGE.has(graph.byName.get(n)!.className));
    const skipAll = (reason: string) => producers.filter((p) => graph.byName.get(p)!.className === 'Conv2D').forEach((p) => skipped.push({ layer: p, reason }));
    const producerMixes = producers.filter((p) => graph.byName.get(p)!.className === 'MixedConv2D');
    const merges = inSpace.filter((n) => MERGE.has(graph.byName.get(n)!.className));
    if (!options.residual && merges.length > 0) {
      skipAll(`channels reach ${describe(graph.byName.get(merges[0]!)!)}`);
      continue;
    }
    if (frozen.has(root)) {
      skipAll(frozen.get(root)!);
      continue;
    }
    const other = producers.find((p) => !isProducerConv(graph.byName.get(p)!));
    if (other) {
      skipAll(`channels also come from ${describe(graph.byName.get(other)!)}`);
      continue;
    }
    const bns: string[] = [];
    let bad: string | undefined;
    for (const p of producers) {
      const next = graph.consumers.get(p) ?? [];
      const bn = next.length === 1 ? graph.byName.get(next[0]!)! : undefined;
      if (bn?.className !== 'BatchNormalization') bad ??= `${p} is not followed by a BatchNormalization only`;
      else if (bn.config.scale === false) bad ??= `${bn.name} has no gamma (scale: false)`;
      else bns.push(bn.name);
    }
    if (bad) {
      skipAll(bad);
      continue;
    }
    const readers = consumers.get(root) ?? [];
    if (readers.length === 0) {
      skipAll('channels are read by no conv or dense layer');
      continue;
    }
    const mixReaders = [...new Set(readers)].filter((r) => isGroupedMix(graph.byName.get(r)!));
    // Every grouped layout the space meets: readers' input blocks, producers' output blocks.
    const layouts = [
      ...mixReaders.map((r) => mixedConvBlocks(graph.byName.get(r)!.config)),
      ...producerMixes.map((p) => mixedConvOutputBlocks(graph.byName.get(p)!.config)),
    ];
    let blocks: GroupBlocks[] | undefined;
    if (layouts.length > 0) {
      const shape = (l: GroupBlocks[]) => JSON.stringify(l.map((b) => [b.start, b.size, b.groups]));
      if (new Set(layouts.map(shape)).size > 1) {
        skipAll(`channels reach grouped MixedConv2D layers of different group layouts (${[...mixReaders, ...producerMixes].join(', ')})`);
        continue;
      }
      blocks = layouts[0]!.map((b, i) => {
        const min = Math.max(...layouts.map((l) => l[i]!.min ?? 1));
        return min > 1 ? { start: b.start, size: b.size, groups: b.groups, min } : { start: b.start, size: b.size, groups: b.groups };
      });
    }
    groups.push({
      producer: producers[0]!,
      bn: bns[0]!,
      producers,
      bns,
      channelLayers: inSpace.filter((n) => !producers.includes(n)).sort(byOrder),
      consumers: [...new Set(readers)].sort(byOrder),
      channels: outputChannels(graph.byName.get(producers[0]!)!),
      ...(blocks ? { blocks } : {}),
    });
  }
  skipped.sort((a, b) => byOrder(a.layer, b.layer));
  return { groups, skipped };
}

/** All prunable groups of the graph, in the model's layer order. */
export function findPruneGroups(graph: LayerGraph, options: AnalyseOptions = {}): PruneGroup[] {
  return analysePruning(graph, options).groups;
}
