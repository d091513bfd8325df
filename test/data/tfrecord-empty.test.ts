/**
 * A 0-byte TFRecord shard is an error naming the shard (it was evaluated as "no records" before),
 * in the record counter, the record reader and the loader; write-tfrecord never writes one.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLoader } from '../../src/data/loader/create-loader.ts';
import { countRecords, readRecords } from '../../src/data/tfrecord/framing.ts';
import { writeTfRecordShards } from '../../src/data/tfrecord/writer.ts';

describe('empty TFRecord shards', () => {
  it('countRecords, readRecords and the loader fail on a 0-byte shard with the shard named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlc-tfr-empty-'));
    const shard = join(dir, 'val-00000-of-00001.tfrecord');
    await writeFile(shard, '');
    const message = `${shard}: empty TFRecord shard (0 bytes): it holds no records`;
    await expect(countRecords(shard)).rejects.toThrow(message);
    await expect(
      (async () => {
        for await (const _ of readRecords(shard)) void _;
      })(),
    ).rejects.toThrow(message);
    await expect(
      createLoader({ tfrecords: [dir], heads: 1, height: 8, width: 8, channels: 3, batchSize: 2, seed: 0 }),
    ).rejects.toThrow(message);
  });

  it('write-tfrecord refuses an empty dataset instead of writing an empty shard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlc-tfr-empty-'));
    await expect(
      writeTfRecordShards([], { outDir: join(dir, 'out'), split: 'train', source: 'clean.txt' }),
    ).rejects.toThrow('clean.txt: no records to write: the label file lists no images');
  });
});
