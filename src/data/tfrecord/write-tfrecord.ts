/**
 * `writeTfRecord(options, io)`: the write-tfrecord entry point. Reads a label file and writes it
 * as sharded TFRecord files of tf.train.Example (writer.ts), logging records, shards and MB/s. The
 * stage (stages/write-tfrecord.ts) passes its params and context.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { EntryIO } from '../../entry-io.ts';
import { readLabelFile } from '../labels.ts';
import type { WriteTfRecordOptions } from './options.ts';
import { writeTfRecordShards } from './writer.ts';

/** Writes `options.labels` as shards into `options.out` (through `io.out`). */
export async function writeTfRecord(
  options: WriteTfRecordOptions,
  io: EntryIO,
): Promise<{ metrics: Record<string, number> }> {
  const p = options;
  const labelFile = io.path(p.labels);
  const root = p.root ? io.path(p.root) : dirname(labelFile);
  const records = await readLabelFile(labelFile);
  const items = records.map((r) => ({
    path: isAbsolute(r.path) ? r.path : resolve(root, r.path),
    filename: r.path,
    labels: r.labels,
    line: r.line,
  }));
  const started = Date.now();
  const res = await writeTfRecordShards(items, {
    outDir: io.out(p.out),
    split: p.split,
    shardSize: p.shard_size,
    concurrency: p.concurrency,
    source: labelFile,
    signal: io.signal,
    onProgress: (done, total) => {
      if (done % 256 === 0 || done === total) io.progress(`${done}/${total} records`);
    },
  });
  const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
  io.log(
    `${res.records} records in ${res.files.length} shard(s), ${(res.bytes / 1e6).toFixed(2)} MB, ${(res.bytes / 1e6 / seconds).toFixed(1)} MB/s → ${p.out}`,
  );
  return { metrics: { records: res.records, shards: res.files.length, bytes: res.bytes } };
}
