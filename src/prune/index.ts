/**
 * Network slimming (Liu et al. 2017): rank BN-gated channels by |gamma| globally, drop the weakest,
 * build the smaller model with sliced weights. Fine-tuning afterwards is a separate `train` stage
 * with `init_from` pointing at the pruned model folder (the paper fine-tunes; pruning alone loses
 * accuracy roughly in proportion to the gamma mass removed).
 */
import type { LayersModel } from '../engine/tf.ts';
import { readLayerGraph } from './layer-graph.ts';
import { analysePruning, findPruneGroups, type PruneGroup, type SkippedLayer } from './groups.ts';
import { selectChannels, type SelectOptions } from './select.ts';
import { applyPruning } from './apply.ts';
import { modelCost, type ModelCost } from './cost.ts';

export { readLayerGraph, analysePruning, findPruneGroups, selectChannels, applyPruning, modelCost };
export type { PruneGroup, SkippedLayer, SelectOptions, ModelCost };
export type { LayerGraph, GraphLayer, TensorRef } from './layer-graph.ts';

/** One pruned layer in `prune.json`. */
export interface PrunedLayerReport {
  /** The conv whose filters were pruned. */
  layer: string;
  /** The BN whose |gamma| ranked them. */
  bn: string;
  kept: number;
  total: number;
}

/** The content of `prune.json`. */
export interface PruneReport {
  method: 'network-slimming';
  ratio: number | null;
  /** |gamma| cut used globally (before the per-layer floor). */
  threshold: number | null;
  minChannels: number;
  minFraction: number;
  layers: PrunedLayerReport[];
  /** Conv2D layers that were not candidates, with the reason (e.g. `channels reach Add s1b1_add`). */
  skipped: SkippedLayer[];
  /** Channels of all prunable layers before/after. */
  channels: { before: number; after: number };
  params: { before: number; after: number };
  macs: { before: number; after: number };
  flops: { before: number; after: number };
}

/** Prunes `model` (left untouched) and returns the new model (caller disposes it) with a report. */
export function pruneModel(model: LayersModel, options: SelectOptions = {}): { model: LayersModel; report: PruneReport } {
  const graph = readLayerGraph(model.getConfig());
  const { groups, skipped } = analysePruning(graph);
  const scores = groups.map((g) => model.getLayer(g.bn).getWeights()[0]!.dataSync() as Float32Array);
  const { keep, threshold } = selectChannels(scores, options);
  const pruned = applyPruning(model, groups, keep);
  const before: ModelCost = modelCost(model);
  const after: ModelCost = modelCost(pruned);
  const layers = groups.map((g, i) => ({ layer: g.producer, bn: g.bn, kept: keep[i]!.length, total: g.channels }));
  return {
    model: pruned,
    report: {
      method: 'network-slimming',
      ratio: options.threshold === undefined ? (options.ratio ?? 0.3) : null,
      threshold: Number.isFinite(threshold) ? threshold : null,
      minChannels: options.minChannels ?? 4,
      minFraction: options.minFraction ?? 0.1,
      layers,
      skipped,
      channels: { before: layers.reduce((a, l) => a + l.total, 0), after: layers.reduce((a, l) => a + l.kept, 0) },
      params: { before: before.params, after: after.params },
      macs: { before: before.macs, after: after.macs },
      flops: { before: before.flops, after: after.flops },
    },
  };
}
