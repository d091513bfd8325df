/**
 * The options of `writeTfRecord(options, io)` (write-tfrecord.ts): one TypeBox schema, the single source of their
 * types, defaults and docs; the write-tfrecord stage takes it as its params schema. Keys are the YAML's
 * (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';

export const writeTfRecordOptionsSchema = Type.Object(
  {
    labels: Type.String({
      description:
        "Label file to convert (ideally check-labels' clean.txt). Defaults to data/clean/train/clean.txt (check-labels' output for data/dataset/train.txt).",
      default: 'data/clean/train/clean.txt',
    }),
    root: Type.Optional(
      Type.String({ description: "Image root for relative paths in `labels`. Defaults to the label file's folder." }),
    ),
    out: Type.String({
      description: 'Output folder for the shards. Defaults to data/tfrecord.',
      default: 'data/tfrecord',
    }),
    split: Type.String({
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'Shard file-name prefix, e.g. train. Defaults to train.',
      default: 'train',
    }),
    shard_size: Type.Integer({ minimum: 1, description: 'Records per shard. Defaults to 1024.', default: 1024 }),
    concurrency: Type.Integer({
      minimum: 1,
      description: 'Images read and probed at once. Defaults to 8.',
      default: 8,
    }),
  },
  { additionalProperties: false },
);

export type WriteTfRecordOptions = Static<typeof writeTfRecordOptionsSchema>;
