/**
 * Prunes a model folder (train format) into a new one: model.json + weights.bin (smaller),
 * classes.json, config.json (the original's, with `prunedFrom` and the prune options added) and
 * prune.json (PruneReport). tf must have a backend (initEngine) before calling.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pruneModel, type PruneReport } from './index.ts';
import type { PruneOptions } from './index.ts';

/**
 * `source` is how config.json's `prunedFrom` names the original (e.g. the pipeline-relative path).
 * Defaults to `modelDir`.
 */
export async function pruneModelFolder(modelDir: string, out: string, options: PruneOptions = {}, source = modelDir): Promise<PruneReport> {
  const { loadTrainedModel, saveTrainedModel } = await import('../model/io.ts');
  const { model, heads, config } = await loadTrainedModel(modelDir);
  try {
    const { model: pruned, report } = pruneModel(model, options);
    try {
      await saveTrainedModel(out, { model: pruned, heads, config: { ...config, prunedFrom: source, prune: options } });
      await writeFile(join(out, 'prune.json'), JSON.stringify(report, null, 2) + '\n');
      return report;
    } finally {
      pruned.dispose();
    }
  } finally {
    model.dispose();
  }
}
