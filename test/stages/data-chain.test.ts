import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoader } from '../../src/data/loader/create-loader.ts';
import checkLabels from '../../stages/check-labels.ts';
import makeDataset from '../../stages/make-dataset.ts';
import writeTfrecord from '../../stages/write-tfrecord.ts';
import { stageContext } from './data-context.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-chain-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('data stages chained with their default paths', () => {
  it('make-dataset → check-labels → write-tfrecord → loader gives the same batches as the label file', async () => {
    await makeDataset.run(stageContext(makeDataset, dir, { n: 30, seed: 2 }));
    const check = await checkLabels.run(stageContext(checkLabels, dir, {}));
    expect(check).toMatchObject({ metrics: { total: 24, accepted: 24, rejected: 0 } });
    await writeTfrecord.run(stageContext(writeTfrecord, dir, { shard_size: 10 }));
    const shards = (await readdir(join(dir, 'data/tfrecord'))).sort();
    expect(shards).toEqual([
      'train-00000-of-00003.tfrecord',
      'train-00001-of-00003.tfrecord',
      'train-00002-of-00003.tfrecord',
    ]);

    const common = { heads: 5, height: 48, width: 144, batchSize: 8, workers: 0 };
    const a = await createLoader({ ...common, labels: join(dir, 'data/clean/train/clean.txt') });
    const b = await createLoader({ ...common, tfrecords: shards.map((s) => join(dir, 'data/tfrecord', s)) });
    try {
      expect(a.count).toBe(24);
      expect(b.count).toBe(24);
      const fromTxt = [];
      for await (const x of a.epoch(0)) fromTxt.push(x);
      let k = 0;
      for await (const y of b.epoch(0)) {
        expect(y.paths).toEqual(fromTxt[k]!.paths);
        expect(y.labels).toEqual(fromTxt[k]!.labels);
        expect(y.images).toEqual(fromTxt[k]!.images);
        k++;
      }
      expect(k).toBe(3);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
