/**
 * The options of `evaluate(options, io)` (src/report/evaluate.ts): one TypeBox schema, the single
 * source of their types, defaults and docs. The evaluate stage takes it as its params schema;
 * `mlc-pipe evaluate` fills it from its flags (checked by src/pipeline/check-options.ts). Keys are the YAML's (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Choice } from '../choice.ts';
import { engineParam, precisionParam, threadsParam } from '../engine/options.ts';
import { CONFUSION_NORMALIZE } from './draw/confusion.ts';

export const evaluateOptionsSchema = Type.Object(
  {
    model: Type.String({
      description:
        'Model folder written by train (model.json, classes.json, config.json, history.jsonl). Defaults to models/run.',
      default: 'models/run',
    }),
    labels: Type.String({
      description:
        "Label file of the split to evaluate; ignored when `tfrecords` is set. Defaults to data/clean/test/clean.txt (check-labels' output for data/dataset/test.txt).",
      default: 'data/clean/test/clean.txt',
    }),
    root: Type.String({
      description: "Image root for relative paths in `labels`; empty = the label file's folder. Defaults to ''.",
      default: '',
    }),
    tfrecords: Type.Array(Type.String(), {
      description:
        'TFRecord shards (or folders of shards) to evaluate instead of `labels` (no thumbnails then). Defaults to [].',
      default: [],
    }),
    tune_labels: Type.String({
      description:
        "Validation label file on which each binary head's threshold is tuned to maximise F1; the report then adds metrics at those thresholds. Empty = no tuning. Defaults to ''.",
      default: '',
    }),
    batch_size: Type.Integer({ minimum: 1, description: 'Images per inference batch. Defaults to 32.', default: 32 }),
    engine: engineParam(),
    precision: precisionParam(),
    threads: threadsParam(),
    base_confidence: Type.Number({
      minimum: 0,
      maximum: 1,
      description:
        "The seed's confidence analysis: samples whose every known head has probability ≥ this count as confident, and their error rate is reported. Defaults to 0.9.",
      default: 0.9,
    }),
    top_k: Type.Integer({
      minimum: 1,
      description:
        'k of the top-k multi-label metrics (CP/CR/CF1/OP/OR/OF1 over the k best classes per image). Defaults to 3.',
      default: 3,
    }),
    worst: Type.Integer({
      minimum: 0,
      description: 'How many of the most confident mistakes the report shows as thumbnails. Defaults to 24.',
      default: 24,
    }),
    confusion_normalize: Choice(CONFUSION_NORMALIZE, {
      description:
        "What the confusion drawings' percentages are relative to, as sklearn's `normalize`: `true` = the row (true class; recall on the diagonal), `pred` = the column (precision on the diagonal), `all` = every sample. Defaults to true.",
      default: 'true',
    }),
    calibration_bins: Type.Integer({
      minimum: 1,
      maximum: 100,
      description:
        'Equal-width confidence bins of the expected calibration error and the reliability diagrams. Defaults to 15.',
      default: 15,
    }),
    compare_to: Type.String({
      description:
        "Report folder of another evaluated run (e.g. the unpruned model's) shown side by side: key metrics and per-class F1 with the change. Empty = none. Defaults to ''.",
      default: '',
    }),
    latency_runs: Type.Integer({
      minimum: 0,
      description:
        "Timed batch-of-1 forward passes for the report's latency (median, after 2 untimed ones), measured on the machine that evaluates and written to `<out>.latency.js` beside the report folder, unhashed, which report.html loads when opened; 0 = not measured. Defaults to 20.",
      default: 20,
    }),
    out: Type.String({ description: 'Report folder. Defaults to reports/run.', default: 'reports/run' }),
  },
  { additionalProperties: false },
);

export type EvaluateOptions = Static<typeof evaluateOptionsSchema>;
