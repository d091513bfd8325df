/**
 * prune: network slimming (Liu et al. 2017) of a trained model folder. Channels are ranked by |BN
 * gamma| across the whole net and the weakest `ratio` (or every one under `threshold`) are removed
 * where that is structurally possible (conv → BN → per-channel layers → conv/dense; channels that
 * meet a residual Add stay unless `residual: true`). Writes the same model-folder format plus
 * prune.json (per-layer kept/total, skipped convs with the reason, params and FLOPs before/after).
 * No fine-tuning here: follow with a `train` stage whose `init_from` is this stage's `out` to
 * recover accuracy, as the paper does.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';

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
    out: Type.Optional(Type.String({ description: 'Output model folder. Defaults to `<model>-pruned`.' })),
    engine: Type.Union([Type.Literal('auto'), Type.Literal('wasm'), Type.Literal('cpu')], { description: 'tfjs engine used to slice the weights. Defaults to cpu.', default: 'cpu' }),
  },
  { additionalProperties: false },
);

const outOf = (p: { model: string; out?: string }) => p.out ?? `${p.model.replace(/\/+$/, '')}-pruned`;

export default defineStage({
  name: 'prune',
  version: '1',
  description: 'Network-slimming channel pruning by |BN gamma| (writes a smaller model folder + prune.json)',
  params,
  inputs: (p) => [p.model],
  outputs: (p) => [outOf(p)],
  resources: { cpu: 1 },
  async run(ctx) {
    const p = ctx.params;
    const { initEngine } = await import('../src/engine/index.ts');
    const { pruneModelFolder } = await import('../src/prune/model-folder.ts');
    await initEngine({ engine: p.engine, log: ctx.log });
    ctx.progress(`pruning ${p.model}`);
    const report = await pruneModelFolder(ctx.path(p.model), ctx.out(outOf(p)), {
      ratio: p.ratio,
      threshold: p.threshold,
      minChannels: p.min_channels,
      minFraction: p.min_fraction,
      residual: p.residual,
    }, p.model);
    const pct = (a: number, b: number) => (b === 0 ? '0' : ((100 * (b - a)) / b).toFixed(1));
    ctx.log(`${report.layers.length} prunable layers; channels ${report.channels.before} → ${report.channels.after}`);
    ctx.log(`params ${report.params.before} → ${report.params.after} (−${pct(report.params.after, report.params.before)}%), FLOPs ${report.flops.before} → ${report.flops.after} (−${pct(report.flops.after, report.flops.before)}%)`);
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
      },
    };
  },
});
