/**
 * evaluate: runs a trained model over a labelled split and writes the run's report folder —
 * metrics.json (seed metrics, classification report, one-vs-rest AP/AUC, calibration,
 * multi-label family), run.json (header), confusion/PR/ROC/reliability PNGs per head,
 * curves.png, wrong.csv and a self-contained report.html; beside the folder, unhashed, the
 * latency measured on this machine (`<out>.latency.js`). See src/report/evaluate.ts.
 */
import { defineStage } from '../src/stage/define.ts';
import { evaluateOptionsSchema } from '../src/report/evaluate-options.ts';
import { engineCpus } from '../src/engine/start/threads.ts';
import { NUMERICS_ENVIRONMENT } from '../src/environment.ts';
import { resolvePrecisionParams } from '../src/engine/precision.ts';

export default defineStage({
  name: 'evaluate',
  version: '1',
  description:
    'Evaluate a trained model: metrics.json (classification report, AP/AUC, calibration), confusion/PR/ROC/reliability/curve PNGs, wrong.csv and an HTML report',
  params: evaluateOptionsSchema,
  inputs: (p) => [
    p.model,
    ...(p.tfrecords.length ? p.tfrecords : [p.labels]),
    ...(p.root && !p.tfrecords.length ? [p.root] : []),
    ...(p.tune_labels ? [p.tune_labels] : []),
    ...(p.compare_to ? [p.compare_to] : []),
  ],
  outputs: (p) => [p.out],
  resources: (p) => ({ cpu: engineCpus(p) }),
  environment: NUMERICS_ENVIRONMENT,
  // `precision: auto` keyed as what it picks on this machine (bf16 changes the numerics).
  resolveParams: resolvePrecisionParams,
  cacheNeutral: ['threads', 'latency_runs'],
  async run(ctx) {
    const { evaluate } = await import('../src/report/evaluate.ts');
    const { metrics } = await evaluate(ctx.params, ctx);
    return { metrics };
  },
});
