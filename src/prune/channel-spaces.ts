/**
 * The channel spaces of a layer graph: every layer output is one, and spaces are merged (union-find)
 * where channel c of one is channel c of the other (through per-channel layers, and across merges).
 * For each merged space: its layers, the first reason it must stay whole, and the layers that read it.
 */
import { isModelOutput, type LayerGraph } from './layer-graph.ts';
import { describe, isConsumer, isMerge, isPerChannel } from './layer-roles.ts';

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let r = x;
    while (this.parent.has(r)) r = this.parent.get(r)!;
    if (r !== x) this.parent.set(x, r);
    return r;
  }
  union(a: string, b: string): void {
    const ra = this.find(a),
      rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

export interface ChannelSpaces {
  /** The root (space id) of the space a layer's output belongs to. */
  find(layer: string): string;
  /** Space → its layers, in graph order. */
  members: Map<string, string[]>;
  /** Space → why it cannot be pruned (the first reason found). */
  frozen: Map<string, string>;
  /** Space → the consumer layers (Conv2D, Dense, grouped MixedConv2D) that read it. */
  consumers: Map<string, string[]>;
}

/** Merges the spaces of `graph` and records, per space, its members, readers and any reason to keep it whole. */
export function channelSpaces(graph: LayerGraph): ChannelSpaces {
  const spaces = new UnionFind();
  for (const layer of graph.layers) {
    if (isPerChannel(layer) || isMerge(layer)) for (const r of layer.inputs) spaces.union(r.layer, layer.name);
  }
  const out: ChannelSpaces = {
    find: (l) => spaces.find(l),
    members: new Map(),
    frozen: new Map(),
    consumers: new Map(),
  };
  const freeze = (layer: string, reason: string) => {
    const root = spaces.find(layer);
    if (!out.frozen.has(root)) out.frozen.set(root, reason);
  };
  for (const layer of graph.layers) {
    const root = spaces.find(layer.name);
    if (!out.members.has(root)) out.members.set(root, []);
    out.members.get(root)!.push(layer.name);
    if (layer.className === 'InputLayer') freeze(layer.name, `channels reach the model input ${layer.name}`);
    if (isModelOutput(graph, layer.name)) freeze(layer.name, `channels reach the model output ${layer.name}`);
    if (isPerChannel(layer) || isMerge(layer)) continue;
    for (const r of layer.inputs) {
      if (isConsumer(layer)) {
        const rr = spaces.find(r.layer);
        if (!out.consumers.has(rr)) out.consumers.set(rr, []);
        out.consumers.get(rr)!.push(layer.name);
      } else freeze(r.layer, `channels reach ${describe(layer)}`);
    }
  }
  return out;
}
