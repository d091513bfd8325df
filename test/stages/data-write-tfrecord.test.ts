import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageExample } from '../../src/data/tfrecord/example.ts';
import { readRecords } from '../../src/data/tfrecord/framing.ts';
import writeTfrecord from '../../stages/write-tfrecord.ts';
import { stageContext } from './data-context.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-wtfr-'));
  const lines = [];
  for (let i = 0; i < 7; i++) {
    await sharp({ create: { width: 10, height: 6, channels: 3, background: { r: i * 30, g: 0, b: 0 } } })
      .png()
      .toFile(join(dir, `p ${i}.png`));
    lines.push(`p ${i}.png\t${i % 4} ${i % 2}`);
  }
  await writeFile(join(dir, 'clean.txt'), lines.join('\n') + '\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('write-tfrecord stage', () => {
  it('writes <split>-0000i-of-0000N shards of shard_size records, in label-file order', async () => {
    const ctx = stageContext(writeTfrecord, dir, { labels: 'clean.txt', out: 'tfr', split: 'val', shard_size: 3 });
    const res = await writeTfrecord.run(ctx);
    expect((await readdir(join(dir, 'tfr'))).sort()).toEqual([
      'val-00000-of-00003.tfrecord',
      'val-00001-of-00003.tfrecord',
      'val-00002-of-00003.tfrecord',
    ]);
    expect(res).toMatchObject({ metrics: { records: 7, shards: 3 } });
    const names: string[] = [];
    const labels: number[][] = [];
    for (const f of (await readdir(join(dir, 'tfr'))).sort()) {
      for await (const r of readRecords(join(dir, 'tfr', f))) {
        const ex = decodeImageExample(r.data);
        names.push(ex.filename);
        labels.push(ex.labels);
        expect([ex.format, ex.width, ex.height]).toEqual(['png', 10, 6]);
      }
    }
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `p ${i}.png`));
    expect(labels).toEqual(Array.from({ length: 7 }, (_, i) => [i % 4, i % 2]));
    expect(ctx.logs[0]).toMatch(/^7 records in 3 shard\(s\)/);
  });

  it('stops when the run is cancelled', async () => {
    const ctx = {
      ...stageContext(writeTfrecord, dir, { labels: 'clean.txt', out: 'tfr3' }),
      signal: AbortSignal.abort(),
    };
    await expect(writeTfrecord.run(ctx)).rejects.toThrow(/aborted/);
  });

  it('names the label file and line of an unreadable image', async () => {
    await writeFile(join(dir, 'bad.txt'), 'p 0.png\t0 0\nnope.png 1 1\n');
    const ctx = stageContext(writeTfrecord, dir, { labels: 'bad.txt', out: 'tfr2' });
    await expect(writeTfrecord.run(ctx)).rejects.toThrow(/bad\.txt:2: cannot read image .*nope\.png/);
  });
});
