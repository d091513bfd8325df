/**
 * Network slimming (Liu et al. 2017): rank BN-gated channels by |gamma| globally, drop the weakest,
 * build the smaller model with sliced weights. Fine-tuning afterwards is a separate `train` stage
 * with `init_from` pointing at the pruned model folder (the paper fine-tunes; pruning alone loses
 * accuracy roughly in proportion to the gamma mass removed).
 */
import type { LayersModel } from '../engine/tf.ts';
import { readLayerGraph } from './layer-graph.ts';
import { analysePruning, findPruneGroups, type AnalyseOptions, type PruneGroup, type SkippedLayer } from './groups.ts';
import { selectChannels, type SelectOptions } from './select.ts';
import { applyPruning } from './apply.ts';
import { modelCost, type ModelCost } from './cost.ts';

export { readLayerGraph, analysePruning, findPruneGroups, selectChannels, applyPruning, modelCost };
export type { AnalyseOptions, PruneGroup, SkippedLayer, SelectOptions, ModelCost };
export type { LayerGraph, GraphLayer, TensorRef } from './layer-graph.ts';

/** One pruned layer in `prune.json`. */
export interface PrunedLayerReport {
  /** The (first) conv whose filters were pruned. */
  layer: string;
  /** The BN after it, whose |gamma| ranked them. */
  bn: string;
  /** Residual mode: every conv pruned at the same indices (they meet at an Add); absent otherwise. */
  coupled?: string[];
  kept: number;
  total: number;
}

/** The content of `prune.json`. */
export interface PruneReport {
  method: 'network-slimming';
  /** Residual streams pruned too (`residual: true`). */
  residual: boolean;
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

/** Options of `pruneModel`. */
export type PruneOptions = SelectOptions & AnalyseOptions;

/** Mean |gamma| per channel over the group's BNs (one BN: its |gamma|). */
function groupScores(model: LayersModel, group: PruneGroup): Float32Array {
  const out = new Float32Array(group.channels);
  for (const bn of group.bns) {
    const gamma = model.getLayer(bn).getWeights()[0]!.dataSync();
    for (let c = 0; c < out.length; c++) out[c] = out[c]! + Math.abs(gamma[c]!) / group.bns.length;
  }
  return out;
}

/** Prunes `model` (left untouched) and returns the new model (caller disposes it) with a report. */
export function pruneModel(
  model: LayersModel,
  options: PruneOptions = {},
): { model: LayersModel; report: PruneReport } {
  const graph = readLayerGraph(model.getConfig());
  const { groups, skipped } = analysePruning(graph, { residual: options.residual });
  const scores = groups.map((g) => groupScores(model, g));
  const { keep, threshold } = selectChannels(
    scores,
    options,
    groups.map((g) => g.blocks),
  );
  const pruned = applyPruning(model, groups, keep);
  const before: ModelCost = modelCost(model);
  const after: ModelCost = modelCost(pruned);
  const layers = groups.map((g, i) => ({
    layer: g.producer,
    bn: g.bn,
    ...(g.producers.length > 1 ? { coupled: g.producers } : {}),
    kept: keep[i]!.length,
    total: g.channels,
  }));
  return {
    model: pruned,
    report: {
      method: 'network-slimming',
      residual: options.residual ?? false,
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
