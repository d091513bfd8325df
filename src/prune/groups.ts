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
 *
 * What each layer does to channels: layer-roles.ts; the merged spaces: channel-spaces.ts.
 */
import { channelSpaces, type ChannelSpaces } from './channel-spaces.ts';
import type { GraphLayer, LayerGraph } from './layer-graph.ts';
import { describe, isGroupedMix, isMerge, isPerChannel, isProducerConv } from './layer-roles.ts';

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

/** A Conv2D that is not pruned, and why. */
export interface SkippedLayer {
  layer: string;
  reason: string;
}

/** All prunable groups of the graph, in the model's layer order, and the Conv2D layers left out with the reason. */
export function analysePruning(
  graph: LayerGraph,
  options: AnalyseOptions = {},
): { groups: PruneGroup[]; skipped: SkippedLayer[] } {
  const spaces = channelSpaces(graph);
  const order = new Map(graph.layers.map((l, i) => [l.name, i]));
  const byOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
  const groups: PruneGroup[] = [];
  const skipped: SkippedLayer[] = [];
  const done = new Set<string>();
  for (const layer of graph.layers) {
    if (!isProducerConv(layer)) continue;
    const root = spaces.find(layer.name);
    if (done.has(root)) continue;
    done.add(root);
    const r = spaceGroup(graph, spaces, root, options, byOrder);
    if ('group' in r) groups.push(r.group);
    else
      for (const p of r.producers)
        if (graph.byName.get(p)!.className === 'Conv2D') skipped.push({ layer: p, reason: r.skip });
  }
  skipped.sort((a, b) => byOrder(a.layer, b.layer));
  return { groups, skipped };
}

/** The group of one channel space, or why it stays whole (with its producers, which are reported as skipped). */
function spaceGroup(
  graph: LayerGraph,
  spaces: ChannelSpaces,
  root: string,
  options: AnalyseOptions,
  byOrder: (a: string, b: string) => number,
): { group: PruneGroup } | { skip: string; producers: string[] } {
  const layer = (n: string) => graph.byName.get(n)!;
  const inSpace = spaces.members.get(root)!;
  const producers = inSpace.filter((n) => !isPerChannel(layer(n)) && !isMerge(layer(n)));
  const skip = (reason: string) => ({ skip: reason, producers });
  const merges = inSpace.filter((n) => isMerge(layer(n)));
  if (!options.residual && merges.length > 0) return skip(`channels reach ${describe(layer(merges[0]!))}`);
  if (spaces.frozen.has(root)) return skip(spaces.frozen.get(root)!);
  const other = producers.find((p) => !isProducerConv(layer(p)));
  if (other) return skip(`channels also come from ${describe(layer(other))}`);
  const bns = producerBns(graph, producers);
  if (typeof bns === 'string') return skip(bns);
  const readers = spaces.consumers.get(root) ?? [];
  if (readers.length === 0) return skip('channels are read by no conv or dense layer');
  const mixReaders = [...new Set(readers)].filter((r) => isGroupedMix(layer(r)));
  const producerMixes = producers.filter((p) => layer(p).className === 'MixedConv2D');
  const blocks = groupBlocks(graph, mixReaders, producerMixes);
  if (typeof blocks === 'string') return skip(blocks);
  return {
    group: {
      producer: producers[0]!,
      bn: bns[0]!,
      producers,
      bns,
      channelLayers: inSpace.filter((n) => !producers.includes(n)).sort(byOrder),
      consumers: [...new Set(readers)].sort(byOrder),
      channels: outputChannels(layer(producers[0]!)),
      ...(blocks ? { blocks } : {}),
    },
  };
}

/** The BatchNormalization right after each producer, or the first reason one is missing. */
function producerBns(graph: LayerGraph, producers: readonly string[]): string[] | string {
  const bns: string[] = [];
  let bad: string | undefined;
  for (const p of producers) {
    const next = graph.consumers.get(p) ?? [];
    const bn = next.length === 1 ? graph.byName.get(next[0]!)! : undefined;
    if (bn?.className !== 'BatchNormalization') bad ??= `${p} is not followed by a BatchNormalization only`;
    else if (bn.config.scale === false) bad ??= `${bn.name} has no gamma (scale: false)`;
    else bns.push(bn.name);
  }
  return bad ?? bns;
}

/**
 * The group-consistency blocks of every grouped layout the space meets (readers' input blocks,
 * producers' output blocks): undefined with none, a reason when the layouts differ.
 */
function groupBlocks(
  graph: LayerGraph,
  mixReaders: readonly string[],
  producerMixes: readonly string[],
): GroupBlocks[] | undefined | string {
  const layouts = [
    ...mixReaders.map((r) => mixedConvBlocks(graph.byName.get(r)!.config)),
    ...producerMixes.map((p) => mixedConvOutputBlocks(graph.byName.get(p)!.config)),
  ];
  if (layouts.length === 0) return undefined;
  const shape = (l: GroupBlocks[]) => JSON.stringify(l.map((b) => [b.start, b.size, b.groups]));
  if (new Set(layouts.map(shape)).size > 1) {
    return `channels reach grouped MixedConv2D layers of different group layouts (${[...mixReaders, ...producerMixes].join(', ')})`;
  }
  return layouts[0]!.map((b, i) => {
    const min = Math.max(...layouts.map((l) => l[i]!.min ?? 1));
    return min > 1
      ? { start: b.start, size: b.size, groups: b.groups, min }
      : { start: b.start, size: b.size, groups: b.groups };
  });
}

/** All prunable groups of the graph, in the model's layer order. */
export function findPruneGroups(graph: LayerGraph, options: AnalyseOptions = {}): PruneGroup[] {
  return analysePruning(graph, options).groups;
}
