/**
 * write-tfrecord: a label file → sharded TFRecord files of tf.train.Example
 * (`<split>-00000-of-0000N.tfrecord`), keys image/encoded (original bytes), image/format,
 * image/height, image/width, image/filename, image/class/label (one int64 per head).
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';

const params = Type.Object(
  {
    labels: Type.String({ description: 'Label file to convert (ideally check-labels\' clean.txt). Defaults to data/clean/clean.txt.', default: 'data/clean/clean.txt' }),
    root: Type.Optional(Type.String({ description: 'Image root for relative paths in `labels`. Defaults to the label file\'s folder.' })),
    out: Type.String({ description: 'Output folder for the shards. Defaults to data/tfrecord.', default: 'data/tfrecord' }),
    split: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'Shard file-name prefix, e.g. train. Defaults to train.', default: 'train' }),
    shard_size: Type.Integer({ minimum: 1, description: 'Records per shard. Defaults to 1024.', default: 1024 }),
    concurrency: Type.Integer({ minimum: 1, description: 'Images read and probed at once. Defaults to 8.', default: 8 }),
  },
  { additionalProperties: false },
);

export default defineStage({
  name: 'write-tfrecord',
  version: '1',
  description: 'Write a label file as sharded TFRecord files of tf.train.Example',
  params,
  inputs: (p) => [p.labels, ...(p.root ? [p.root] : [])],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { dirname, isAbsolute, resolve } = await import('node:path');
    const { readLabelFile } = await import('../src/data/labels.ts');
    const { writeTfRecordShards } = await import('../src/data/tfrecord/writer.ts');
    const p = ctx.params;
    const labelFile = ctx.path(p.labels);
    const root = p.root ? ctx.path(p.root) : dirname(labelFile);
    const records = await readLabelFile(labelFile);
    const items = records.map((r) => ({
      path: isAbsolute(r.path) ? r.path : resolve(root, r.path),
      filename: r.path,
      labels: r.labels,
      line: r.line,
    }));
    const started = Date.now();
    const res = await writeTfRecordShards(items, {
      outDir: ctx.out(p.out),
      split: p.split,
      shardSize: p.shard_size,
      concurrency: p.concurrency,
      source: labelFile,
      signal: ctx.signal,
      onProgress: (done, total) => {
        if (done % 256 === 0 || done === total) ctx.progress(`${done}/${total} records`);
      },
    });
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    ctx.log(`${res.records} records in ${res.files.length} shard(s), ${(res.bytes / 1e6).toFixed(2)} MB, ${(res.bytes / 1e6 / seconds).toFixed(1)} MB/s → ${p.out}`);
    return { metrics: { records: res.records, shards: res.files.length, bytes: res.bytes } };
  },
});
