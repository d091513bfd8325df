/**
 * Builds the slimmer model: the producer convs get fewer filters in the model config (a grouped
 * MixedConv2D fewer channels per part), a new model is built from that config (every other layer
 * infers its shapes), and each weight is copied from the original with the pruned channels sliced
 * out (conv kernel out-channels, BN gamma/beta/mean/var, depthwise channels, next conv/dense
 * in-channels, a grouped MixedConv2D's rows and columns group by group).
 */
import { tf } from '../engine/tf.ts';
import type { LayersModel } from '../engine/tf.ts';
import type { PruneGroup } from './groups.ts';

interface Slices {
  /** Kept output filters (producer conv). */
  out?: number[];
  /** Kept channels of a per-channel layer. */
  channel?: number[];
  /** Kept input channels (consumer conv/dense). */
  in?: number[];
}

function gatherAxis(t: tf.Tensor, keep: number[] | undefined, axis: number): tf.Tensor {
  if (keep === undefined) return t;
  return tf.gather(t, tf.tensor1d(keep, 'int32'), axis);
}

/** The sliced copy of one layer's weights, in the layer's weight order. */
function sliceWeights(cls: string, weights: tf.Tensor[], s: Slices): tf.Tensor[] {
  return weights.map((w, i) => {
    if (cls === 'Conv2D') {
      if (i === 0) return gatherAxis(gatherAxis(w, s.out, 3), s.in, 2);
      return gatherAxis(w, s.out, 0); // bias
    }
    if (cls === 'DepthwiseConv2D') return i === 0 ? gatherAxis(w, s.channel, 2) : gatherAxis(w, s.channel, 0);
    if (cls === 'BatchNormalization') return gatherAxis(w, s.channel, 0);
    if (cls === 'Dense') return i === 0 ? gatherAxis(w, s.in, 0) : w;
    return w;
  });
}

interface MixPart {
  channels: number;
  kernel: number;
  groups: number;
  inChannels?: number;
}

/** `kept` (global, ascending) inside [start, start + groups·size), as local indices per group; null when all are kept. */
function perGroup(
  kept: number[] | undefined,
  start: number,
  size: number,
  groups: number,
  what: string,
): number[][] | null {
  if (kept === undefined) return null;
  const local = Array.from({ length: groups }, (_, g) =>
    kept.filter((c) => c >= start + g * size && c < start + (g + 1) * size).map((c) => c - start - g * size),
  );
  if (local.every((l) => l.length === size)) return null;
  if (new Set(local.map((l) => l.length)).size !== 1 || local[0]!.length === 0) {
    throw new Error(
      `prune: kept ${what} channels are not group-consistent for a part of ${groups} groups (${local.map((l) => l.length).join('/')})`,
    );
  }
  return local;
}

/**
 * A grouped MixedConv2D whose input channels `keptIn` and/or output channels `keptOut` (global
 * indices, ascending) were pruned group-consistently: each part's new channels/inChannels and the
 * kernels sliced group by group (group g keeps the input rows of its own kept inputs and the
 * columns of its own kept outputs).
 */
function shrinkGrouped(
  parts: MixPart[],
  keptIn: number[] | undefined,
  keptOut: number[] | undefined,
): { parts: MixPart[]; slice: (kernels: tf.Tensor[]) => tf.Tensor[] } {
  const plan: Array<{ rows: number[][] | null; cols: number[][] | null }> = [];
  let inStart = 0;
  let outStart = 0;
  const out = parts.map((p) => {
    const cin = p.inChannels ?? p.channels;
    if (p.groups === p.channels) {
      // depthwise part: its channels are carried through, pruned only as a per-channel layer (shrinkParts)
      if (keptIn !== undefined && keptIn.filter((c) => c >= inStart && c < inStart + cin).length !== cin)
        throw new Error(`prune: depthwise part of a grouped MixedConv2D cannot lose input channels`);
      if (
        keptOut !== undefined &&
        keptOut.filter((c) => c >= outStart && c < outStart + p.channels).length !== p.channels
      )
        throw new Error(`prune: depthwise part of a grouped MixedConv2D cannot lose output channels`);
      plan.push({ rows: null, cols: null });
      inStart += cin;
      outStart += p.channels;
      return { ...p };
    }
    const rows = perGroup(keptIn, inStart, cin / p.groups, p.groups, 'input');
    const cols = perGroup(keptOut, outStart, p.channels / p.groups, p.groups, 'output');
    if (cols && cols[0]!.length === 1)
      throw new Error(
        `prune: a grouped part of ${p.groups} groups cannot keep 1 output channel per group (it would read as depthwise)`,
      );
    plan.push({ rows, cols });
    inStart += cin;
    outStart += p.channels;
    const np: MixPart = {
      ...p,
      channels: cols ? cols[0]!.length * p.groups : p.channels,
      inChannels: rows ? rows[0]!.length * p.groups : cin,
    };
    if (np.inChannels === np.channels) delete np.inChannels;
    return np;
  });
  const slice = (kernels: tf.Tensor[]) =>
    kernels.map((k, i) => {
      const { rows, cols } = plan[i]!;
      if (!rows && !cols) return k;
      const groups = parts[i]!.groups;
      const cg = parts[i]!.channels / groups;
      const pieces = Array.from({ length: groups }, (_, g) =>
        gatherAxis(gatherAxis(k.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]), rows?.[g], 2), cols?.[g], 3),
      );
      return pieces.length === 1 ? pieces[0]! : tf.concat(pieces, 3);
    });
  return { parts: out, slice };
}

/**
 * The depthwise parts of a MixedConv2D after keeping channels `kept` (global, ascending): each part
 * keeps its own channels (local indices), parts left empty are dropped.
 */
function shrinkParts(parts: MixPart[], kept: number[]): Array<{ index: number; local: number[]; part: MixPart }> {
  const out: Array<{ index: number; local: number[]; part: MixPart }> = [];
  let start = 0;
  parts.forEach((p, index) => {
    const local = kept.filter((c) => c >= start && c < start + p.channels).map((c) => c - start);
    if (local.length > 0) out.push({ index, local, part: { ...p, channels: local.length, groups: local.length } });
    start += p.channels;
  });
  return out;
}

/**
 * Returns a new model with the channels outside `keep[g]` removed from each group `g`.
 * The caller owns (and disposes) the returned model; `model` is left untouched.
 */
export function applyPruning(model: LayersModel, groups: PruneGroup[], keep: number[][]): LayersModel {
  const config = structuredClone(model.getConfig()) as {
    layers: Array<{ name: string; config: Record<string, unknown> }>;
  };
  const slices = new Map<string, Slices>();
  const at = (name: string): Slices => {
    if (!slices.has(name)) slices.set(name, {});
    return slices.get(name)!;
  };
  groups.forEach((g, gi) => {
    const kept = keep[gi]!;
    if (kept.length === g.channels) return;
    for (const p of g.producers) {
      at(p).out = kept;
      const lc = config.layers.find((l) => l.name === p)!;
      if (!lc.config.parts) lc.config.filters = kept.length;
    }
    for (const l of g.channelLayers) at(l).channel = kept;
    for (const l of g.consumers) at(l).in = kept;
  });
  // MixedConv2D parts from the original parts and every slice of the layer (a grouped one may lose inputs and outputs).
  for (const [name, s] of slices) {
    const lc = config.layers.find((c) => c.name === name)!;
    if (!lc.config.parts) continue;
    const parts = lc.config.parts as MixPart[];
    lc.config.parts = s.channel
      ? shrinkParts(parts, s.channel).map((p) => p.part)
      : shrinkGrouped(parts, s.in, s.out).parts;
  }

  // Container.fromConfig builds a functional model from a getConfig()-style (camelCase) config.
  const fromConfig = (tf.LayersModel as unknown as { fromConfig(cls: unknown, cfg: unknown): LayersModel }).fromConfig;
  const pruned = fromConfig(tf.LayersModel, config);
  try {
    for (const layer of model.layers) {
      const weights = layer.getWeights();
      if (weights.length === 0) continue;
      const target = pruned.getLayer(layer.name);
      const s = slices.get(layer.name);
      if (s === undefined) {
        target.setWeights(weights);
        continue;
      }
      const mixParts =
        layer.getClassName() === 'MixedConv2D' ? (layer.getConfig() as unknown as { parts: MixPart[] }).parts : null;
      const sliced =
        mixParts && s.channel
          ? tf.tidy(() => shrinkParts(mixParts, s.channel!).map((p) => gatherAxis(weights[p.index]!, p.local, 2)))
          : mixParts
            ? tf.tidy(() => shrinkGrouped(mixParts, s.in, s.out).slice(weights))
            : tf.tidy(() => sliceWeights(layer.getClassName(), weights, s));
      target.setWeights(sliced);
      sliced.forEach((t, i) => t !== weights[i] && t.dispose());
    }
  } catch (err) {
    pruned.dispose();
    throw err;
  }
  return pruned;
}
