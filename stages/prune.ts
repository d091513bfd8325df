/**
 * prune: network slimming (Liu et al. 2017) of a trained model folder. Channels are ranked by |BN
 * gamma| across the whole net and the weakest `ratio` (or every one under `threshold`) are removed
 * where that is structurally possible (conv → BN → per-channel layers → conv/dense; channels that
 * meet a residual Add stay unless `residual: true`). Writes the same model-folder format plus
 * prune.json (per-layer kept/total, skipped convs with the reason, params, FLOPs and, with
 * `val_labels`, accuracy before/after). The measured latency goes to the stage's metrics and log,
 * not into the hashed folder (a timing is not a function of the inputs).
 * No fine-tuning here: follow with a `train` stage whose `init_from` is this stage's `out` to
 * recover accuracy, as the paper does.
 */
import { defineStage } from '../src/stage/define.ts';
import { pruneFolderOptionsSchema, prunedFolder } from '../src/prune/options.ts';
import { engineCpus } from '../src/engine/start/threads.ts';
import { NUMERICS_ENVIRONMENT } from '../src/environment.ts';
import { resolvePrecisionParams } from '../src/engine/precision.ts';

export default defineStage({
  name: 'prune',
  version: '1',
  description: 'Network-slimming channel pruning by |BN gamma| (writes a smaller model folder + prune.json)',
  params: pruneFolderOptionsSchema,
  inputs: (p) => [
    p.model,
    ...(p.val_tfrecords.length ? p.val_tfrecords : p.val_labels ? [p.val_labels] : []),
    ...(p.root ? [p.root] : []),
  ],
  outputs: (p) => [prunedFolder(p)],
  resources: (p) => ({ cpu: engineCpus(p) }),
  environment: NUMERICS_ENVIRONMENT,
  // `precision: auto` keyed as what it picks on this machine (bf16 changes the numerics).
  resolveParams: resolvePrecisionParams,
  cacheNeutral: ['threads'],
  async run(ctx) {
    const { prune } = await import('../src/prune/prune.ts');
    const { metrics } = await prune(ctx.params, ctx);
    return { metrics };
  },
});
