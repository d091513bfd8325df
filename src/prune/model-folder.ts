/**
 * Prunes a model folder (train format) into a new one: model.json + weights.bin (smaller),
 * classes.json, config.json (the original's, with `prunedFrom` and the prune options added) and
 * prune.json (PruneReport, plus `measured` before → after: given a split, accuracy). The measured
 * latency is returned (the stage records it as metrics in the lock file and logs it) but kept out of
 * prune.json: the folder is a hashed output, and a timing is not a function of its inputs, so a
 * forced rerun would otherwise turn everything downstream stale. tf must have a backend
 * (initEngine) before calling.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pruneModel, type PruneReport } from './index.ts';
import type { PruneOptions } from './index.ts';
import type { LayersModel } from '../engine/tf.ts';
import type { HeadAccuracies, SplitOptions } from '../report/split-accuracy.ts';

/** What `pruneModelFolder` measures on the original and the pruned model. */
export interface MeasureOptions {
  /** A labelled split (e.g. the validation label file) to score both models on. Defaults to none (latency only). */
  split?: SplitOptions;
  /** Timed batch-of-1 forward passes per model. Defaults to 10. */
  latencyRuns?: number;
}

/** What was measured before → after (prune.json's `measured`, less `latencyMs`). */
export interface PruneMeasurements {
  /** Median ms of a batch-of-1 forward pass (compiled inference graph, this process's backend); not written to prune.json. */
  latencyMs: { before: number; after: number; runs: number; backend: string };
  /** Present when a split was given. */
  accuracy?: { split: string; before: HeadAccuracies; after: HeadAccuracies };
}

export type PruneFolderReport = PruneReport & { measured: PruneMeasurements };

/** Bins of the |γ| histogram config.json's `pruning.gamma` keeps. */
export const GAMMA_BINS = 30;

/**
 * The histogram of |γ| over the given BN layers of the unpruned model, what network slimming ranked
 * channels by: `GAMMA_BINS` equal bins over [0, max]; the report draws it with the threshold.
 */
export function gammaHistogram(model: LayersModel, bns: readonly string[]): { max: number; counts: number[] } {
  const values = bns.flatMap((name) =>
    Array.from(model.getLayer(name).getWeights()[0]!.dataSync() as Float32Array, Math.abs),
  );
  const max = values.length ? Math.max(...values) : 0;
  const counts = new Array<number>(GAMMA_BINS).fill(0);
  for (const v of values) counts[max > 0 ? Math.min(GAMMA_BINS - 1, Math.floor((v / max) * GAMMA_BINS)) : 0]!++;
  return { max, counts };
}

/**
 * `source` is how config.json's `prunedFrom` names the original (e.g. the pipeline-relative path).
 * Defaults to `modelDir`.
 */
export async function pruneModelFolder(
  modelDir: string,
  out: string,
  options: PruneOptions = {},
  source = modelDir,
  measure: MeasureOptions = {},
): Promise<PruneFolderReport> {
  const { loadTrainedModel, saveTrainedModel } = await import('../model/io.ts');
  const { measureLatency } = await import('../report/latency.ts');
  const { accuracyOnSplit } = await import('../report/split-accuracy.ts');
  const { tf } = await import('../engine/tf.ts');
  const { model, heads, config } = await loadTrainedModel(modelDir);
  try {
    const { model: pruned, report } = pruneModel(model, options);
    try {
      const runs = measure.latencyRuns ?? 10;
      const latency = async (m: typeof model) => (await measureLatency(m, { runs })).medianMs;
      const measured: PruneMeasurements = {
        latencyMs: { before: await latency(model), after: await latency(pruned), runs, backend: tf.getBackend() },
      };
      if (measure.split) {
        const score = async (m: typeof model) => {
          const { inference: _, ...acc } = await accuracyOnSplit(m, heads, config.input, measure.split!);
          return acc;
        };
        const split = measure.split.tfrecords?.length
          ? measure.split.tfrecords.join(', ')
          : (measure.split.labels ?? '');
        measured.accuracy = { split, before: await score(model), after: await score(pruned) };
      }
      const full: PruneFolderReport = { ...report, measured };
      await saveTrainedModel(out, {
        model: pruned,
        heads,
        config: {
          ...config,
          prunedFrom: source,
          prune: options,
          // what the model card and the evaluation report show; a fine-tune (train with init_from) carries it forward
          pruning: {
            from: source,
            ratio: report.ratio,
            params: report.params,
            flops: report.flops,
            threshold: report.threshold,
            layers: report.layers.map(({ layer, kept, total }) => ({ layer, kept, total })),
            gamma: gammaHistogram(
              model,
              report.layers.map((l) => l.bn),
            ),
          },
        },
      });
      const { latencyMs: _timing, ...written } = measured;
      await writeFile(join(out, 'prune.json'), JSON.stringify({ ...report, measured: written }, null, 2) + '\n');
      return full;
    } finally {
      pruned.dispose();
    }
  } finally {
    model.dispose();
  }
}
