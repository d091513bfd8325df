/**
 * write-tfrecord: a label file → sharded TFRecord files of tf.train.Example
 * (`<split>-00000-of-0000N.tfrecord`), keys image/encoded (original bytes), image/format,
 * image/height, image/width, image/filename, image/class/label (one int64 per head).
 */
import { defineStage } from '../src/stage/define.ts';
import { writeTfRecordOptionsSchema } from '../src/data/tfrecord/options.ts';

export default defineStage({
  name: 'write-tfrecord',
  version: '1',
  description: 'Write a label file as sharded TFRecord files of tf.train.Example',
  params: writeTfRecordOptionsSchema,
  inputs: (p) => [p.labels, ...(p.root ? [p.root] : [])],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { writeTfRecord } = await import('../src/data/tfrecord/write-tfrecord.ts');
    return writeTfRecord(ctx.params, ctx);
  },
});
