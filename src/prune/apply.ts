/**
 * Builds the slimmer model: the producer convs get fewer filters in the model config, a new model is
 * built from that config (every other layer infers its shapes), and each weight is copied from the
 * original with the pruned channels sliced out (conv kernel out-channels, BN gamma/beta/mean/var,
 * depthwise channels, next conv/dense in-channels).
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

/**
 * A grouped MixedConv2D reading group-consistently pruned channels `kept` (global input indices,
 * ascending): each part's new inChannels and, per part, the kernel sliced group by group (group
 * g's outputs keep the input rows of its own kept channels).
 */
function shrinkGroupedInputs(parts: MixPart[], kept: number[]): { parts: MixPart[]; slice: (kernels: tf.Tensor[]) => tf.Tensor[] } {
  const plan: Array<{ local: number[][] | null }> = [];
  let start = 0;
  const out = parts.map((p) => {
    const cin = p.inChannels ?? p.channels;
    const inPart = kept.filter((c) => c >= start && c < start + cin).map((c) => c - start);
    if (p.groups === p.channels) {
      // depthwise part: its channels are carried through, never pruned from the input side
      if (inPart.length !== cin) throw new Error(`prune: depthwise part of a grouped MixedConv2D cannot lose input channels`);
      plan.push({ local: null });
      start += cin;
      return { ...p };
    }
    const size = cin / p.groups;
    const local = Array.from({ length: p.groups }, (_, g) => inPart.filter((c) => c >= g * size && c < (g + 1) * size).map((c) => c - g * size));
    if (new Set(local.map((l) => l.length)).size !== 1 || local[0]!.length === 0) {
      throw new Error(`prune: kept channels are not group-consistent for a part of ${p.groups} groups (${local.map((l) => l.length).join('/')})`);
    }
    plan.push({ local });
    start += cin;
    const np: MixPart = { ...p, inChannels: local[0]!.length * p.groups };
    if (np.inChannels === p.channels) delete np.inChannels;
    return np;
  });
  const slice = (kernels: tf.Tensor[]) =>
    kernels.map((k, i) => {
      const local = plan[i]!.local;
      if (!local) return k;
      const cg = parts[i]!.channels / parts[i]!.groups;
      const pieces = local.map((l, g) => gatherAxis(k.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]), l, 2));
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
  const config = structuredClone(model.getConfig()) as { layers: Array<{ name: string; config: Record<string, unknown> }> };
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
      config.layers.find((l) => l.name === p)!.config.filters = kept.length;
    }
    for (const l of g.channelLayers) at(l).channel = kept;
    for (const l of g.consumers) {
      at(l).in = kept;
      const lc = config.layers.find((c) => c.name === l)!;
      if (lc.config.parts) lc.config.parts = shrinkGroupedInputs(lc.config.parts as MixPart[], kept).parts;
    }
    for (const l of g.channelLayers) {
      const lc = config.layers.find((c) => c.name === l)!;
      if (lc.config.parts) lc.config.parts = shrinkParts(lc.config.parts as MixPart[], kept).map((p) => p.part);
    }
  });

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
      const mixParts = layer.getClassName() === 'MixedConv2D' ? (layer.getConfig() as unknown as { parts: MixPart[] }).parts : null;
      const sliced =
        mixParts && s.channel
          ? tf.tidy(() => shrinkParts(mixParts, s.channel!).map((p) => gatherAxis(weights[p.index]!, p.local, 2)))
          : mixParts && s.in
            ? tf.tidy(() => shrinkGroupedInputs(mixParts, s.in!).slice(weights))
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
