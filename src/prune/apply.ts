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
    for (const l of g.consumers) at(l).in = kept;
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
      const sliced =
        layer.getClassName() === 'MixedConv2D' && s.channel
          ? tf.tidy(() => shrinkParts((layer.getConfig() as unknown as { parts: MixPart[] }).parts, s.channel!).map((p) => gatherAxis(weights[p.index]!, p.local, 2)))
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
