/**
 * prune: network slimming (Liu et al. 2017) of a trained model folder. Channels are ranked by |BN
 * gamma| across the whole net and the weakest `ratio` (or every one under `threshold`) are removed
 * where that is structurally possible (conv → BN → per-channel layers → conv/dense; channels that
 * meet a residual Add stay unless `residual: true`). Writes the same model-folder format plus
 * prune.json (per-layer kept/total, skipped convs with the reason, params, FLOPs, measured latency
 * and, with `val_labels`, accuracy before/after).
 * No fine-tuning here: follow with a `train` stage whose `init_from` is this stage's `out` to
 * recover accuracy, as the paper does.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';
import { Choice } from '../src/choice.ts';
import { ENGINE_NAMES, NUMERICS_ENVIRONMENT, resolveThreads, threadsParam } from '../src/engine/names.ts';

const params = Type.Object(
  {
    model: Type.String({ description: 'Model folder to prune (model.json, weights.bin, classes.json, config.json). Defaults to models/run.', default: 'models/run' }),
    ratio: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Fraction of all prunable channels to remove, smallest |gamma| first, across layers. Defaults to 0.3.', default: 0.3 }),
    threshold: Type.Optional(Type.Number({ minimum: 0, description: 'Remove every prunable channel with |gamma| below this instead of using `ratio`. Defaults to unset (use ratio).' })),
    min_channels: Type.Integer({ minimum: 1, description: 'Channels each pruned layer keeps at least. Defaults to 4.', default: 4 }),
    min_fraction: Type.Number({ minimum: 0, maximum: 1, description: "Fraction of each layer's channels it keeps at least. Defaults to 0.1.", default: 0.1 }),
    residual: Type.Boolean({
      description: 'Also prune residual streams: convs whose BN outputs meet at an Add are pruned together at the same channels, ranked by their mean |gamma| (false = the paper\'s rule: channels that meet an Add stay). Defaults to false.',
      default: false,
    }),
    val_labels: Type.String({
      description: "Label file (e.g. the validation split) on which the original and the pruned model are both scored, reported side by side in prune.json and the log; '' = latency, params and FLOPs only. Defaults to ''.",
      default: '',
    }),
    val_tfrecords: Type.Array(Type.String(), { description: 'TFRecord shards (or folders of shards) to score on instead of `val_labels`. Defaults to [].', default: [] }),
    root: Type.String({ description: "Image root for relative paths in `val_labels`; '' = the label file's folder. Defaults to ''.", default: '' }),
    latency_runs: Type.Integer({ minimum: 1, description: 'Timed batch-of-1 forward passes per model for the latency measurement (median reported). Defaults to 10.', default: 10 }),
    out: Type.Optional(Type.String({ description: 'Output model folder. Defaults to `<model>-pruned`.' })),
    engine: Choice(ENGINE_NAMES, { description: 'Engine used to slice the weights. Defaults to cpu.', default: 'cpu' }),
    threads: threadsParam(),
  },
  { additionalProperties: false },
);

const outOf = (p: { model: string; out?: string }) => p.out ?? `${p.model.replace(/\/+$/, '')}-pruned`;

export default defineStage({
  name: 'prune',
  version: '1',
  description: 'Network-slimming channel pruning by |BN gamma| (writes a smaller model folder + prune.json)',
  params,
  inputs: (p) => [p.model, ...(p.val_tfrecords.length ? p.val_tfrecords : p.val_labels ? [p.val_labels] : []), ...(p.root ? [p.root] : [])],
  outputs: (p) => [outOf(p)],
  resources: { cpu: 1 },
  environment: NUMERICS_ENVIRONMENT,
  async run(ctx) {
    const p = ctx.params;
    const { initEngine } = await import('../src/engine/index.ts');
    const { pruneModelFolder } = await import('../src/prune/model-folder.ts');
    await initEngine({ engine: p.engine, threads: resolveThreads(p.threads, ctx.cpus), log: ctx.log });
    ctx.progress(`pruning ${p.model}`);
    const report = await pruneModelFolder(ctx.path(p.model), ctx.out(outOf(p)), {
      ratio: p.ratio,
      threshold: p.threshold,
      minChannels: p.min_channels,
      minFraction: p.min_fraction,
      residual: p.residual,
    }, p.model, {
      latencyRuns: p.latency_runs,
      split: p.val_tfrecords.length || p.val_labels
        ? { labels: p.val_labels ? ctx.path(p.val_labels) : undefined, tfrecords: p.val_tfrecords.map((f) => ctx.path(f)), root: p.root ? ctx.path(p.root) : undefined }
        : undefined,
    });
    const pct = (a: number, b: number) => (b === 0 ? '0' : ((100 * (b - a)) / b).toFixed(1));
    ctx.log(`${report.layers.length} prunable layers; channels ${report.channels.before} → ${report.channels.after}`);
    ctx.log(`params ${report.params.before} → ${report.params.after} (−${pct(report.params.after, report.params.before)}%), FLOPs ${report.flops.before} → ${report.flops.after} (−${pct(report.flops.after, report.flops.before)}%)`);
    const m = report.measured;
    ctx.log(`latency (batch 1, ${m.latencyMs.backend}, median of ${m.latencyMs.runs}) ${m.latencyMs.before.toFixed(2)} → ${m.latencyMs.after.toFixed(2)} ms`);
    const acc = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
    if (m.accuracy) {
      const { before, after } = m.accuracy;
      ctx.log(`accuracy on ${p.val_labels || p.val_tfrecords.join(', ')} (${before.samples} images, before fine-tuning): all heads ${acc(before.allHeads)} → ${acc(after.allHeads)}; ${Object.keys(before.heads).map((h) => `${h} ${acc(before.heads[h]!)} → ${acc(after.heads[h]!)}`).join(', ')}`);
    }
    if (report.skipped.length > 0) {
      ctx.log(`${report.skipped.length} conv layers kept whole, e.g. ${report.skipped.slice(0, 3).map((s) => `${s.layer}: ${s.reason}`).join('; ')} (all in prune.json)`);
    }
    if (report.layers.length === 0) ctx.log('no prunable conv→BN group found (all channels meet residual adds or grouped convs): the model is unchanged');
    return {
      metrics: {
        params_before: report.params.before,
        params_after: report.params.after,
        flops_before: report.flops.before,
        flops_after: report.flops.after,
        channels_before: report.channels.before,
        channels_after: report.channels.after,
        latency_ms_before: m.latencyMs.before,
        latency_ms_after: m.latencyMs.after,
        ...(m.accuracy ? { val_all_heads_acc_before: m.accuracy.before.allHeads, val_all_heads_acc_after: m.accuracy.after.allHeads } : {}),
      },
    };
  },
});
