/**
 * The options of `prune(options, io)` (src/prune/prune.ts): one TypeBox schema, the single source
 * of their types, defaults and docs; the prune stage takes it as its params schema. Keys are the
 * YAML's (snake_case). (`PruneOptions` in index.ts are pruneModel's, a subset in camelCase.)
 */
import { Type, type Static } from '@sinclair/typebox';
import { Choice } from '../choice.ts';
import { ENGINE_NAMES, precisionParam, threadsParam } from '../engine/options.ts';

export const pruneFolderOptionsSchema = Type.Object(
  {
    model: Type.String({
      description:
        'Model folder to prune (model.json, weights.bin, classes.json, config.json). Defaults to models/run.',
      default: 'models/run',
    }),
    ratio: Type.Number({
      minimum: 0,
      exclusiveMaximum: 1,
      description:
        'Fraction of all prunable channels to remove, smallest |gamma| first, across layers. Defaults to 0.3.',
      default: 0.3,
    }),
    threshold: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'Remove every prunable channel with |gamma| below this instead of using `ratio`. Defaults to unset (use ratio).',
      }),
    ),
    min_channels: Type.Integer({
      minimum: 1,
      description: 'Channels each pruned layer keeps at least. Defaults to 4.',
      default: 4,
    }),
    min_fraction: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "Fraction of each layer's channels it keeps at least. Defaults to 0.1.",
      default: 0.1,
    }),
    residual: Type.Boolean({
      description:
        "Also prune residual streams: convs whose BN outputs meet at an Add are pruned together at the same channels, ranked by their mean |gamma| (false = the paper's rule: channels that meet an Add stay). Defaults to false.",
      default: false,
    }),
    val_labels: Type.String({
      description:
        "Label file (e.g. the validation split) on which the original and the pruned model are both scored, reported side by side in prune.json and the log; '' = latency, params and FLOPs only. Defaults to ''.",
      default: '',
    }),
    val_tfrecords: Type.Array(Type.String(), {
      description: 'TFRecord shards (or folders of shards) to score on instead of `val_labels`. Defaults to [].',
      default: [],
    }),
    root: Type.String({
      description: "Image root for relative paths in `val_labels`; '' = the label file's folder. Defaults to ''.",
      default: '',
    }),
    latency_runs: Type.Integer({
      minimum: 1,
      description:
        'Timed batch-of-1 forward passes per model for the latency measurement (median reported). Defaults to 10.',
      default: 10,
    }),
    out: Type.Optional(Type.String({ description: 'Output model folder. Defaults to `<model>-pruned`.' })),
    engine: Choice(ENGINE_NAMES, { description: 'Engine used to slice the weights. Defaults to cpu.', default: 'cpu' }),
    precision: precisionParam(),
    threads: threadsParam(),
  },
  { additionalProperties: false },
);

export type PruneFolderOptions = Static<typeof pruneFolderOptionsSchema>;

/** The output folder: `out`, else `<model>-pruned`. */
export function prunedFolder(p: { model: string; out?: string }): string {
  return p.out ?? `${p.model.replace(/\/+$/, '')}-pruned`;
}
