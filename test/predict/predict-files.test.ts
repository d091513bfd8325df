import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { tf } from '../../src/engine/tf.ts';
import { formatPredictions, predict, predictionsCsv } from '../../src/predict/predict-files.ts';
import { HEADS, SAMPLES, expectedProbs, writeDataset, writeModel } from '../report/fixture.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-predict-test-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'model'));
  await cp(join(dir, 'data', 'images', 's3.png'), join(dir, 'one image.png'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('predict', () => {
  it('top-k per head with probabilities, folders expanded in name order, CSV written', async () => {
    const before = tf.memory().numTensors;
    const out = join(dir, 'out', 'preds.csv');
    const images = join(dir, 'data', 'images');
    const rows = await predict({
      model: join(dir, 'model'),
      inputs: [images, join(dir, 'one image.png')],
      out,
      topK: 2,
      batchSize: 3,
      engine: 'cpu',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.path)).toEqual([
      ...SAMPLES.map((_, i) => join(images, `s${i}.png`)),
      join(dir, 'one image.png'),
    ]);

    const [color, bright] = expectedProbs();
    SAMPLES.forEach((_, n) => {
      const want = HEADS[0]!.classes
        .map((c, k) => ({ class: c, prob: color[n * 3 + k]! }))
        .sort((a, b) => b.prob - a.prob)
        .slice(0, 2);
      expect(rows[n]!.heads.color!.map((c) => c.class)).toEqual(want.map((c) => c.class));
      rows[n]!.heads.color!.forEach((c, i) => expect(c.prob).toBeCloseTo(want[i]!.prob, 5));
      expect(rows[n]!.heads.bright![0]!.prob).toBeCloseTo(bright[n]!, 5);
    });
    expect(rows[8]!.heads).toEqual(rows[3]!.heads); // same pixels, file name with a space

    const csv = (await readFile(out, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('path,color_top1,color_p1,color_top2,color_p2,bright_p,error');
    expect(csv).toHaveLength(10);
    expect(csv[1]!.split(',').slice(1, 2)).toEqual(['red']);
  });

  it('paths alias, JSON output, default top-1, terminal format', async () => {
    const out = join(dir, 'preds.json');
    const rows = await predict({ model: join(dir, 'model'), paths: [join(dir, 'one image.png')], out, engine: 'cpu' });
    expect(rows[0]!.heads.color!.map((c) => c.class)).toEqual(['red']);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(rows)));
    const p = rows[0]!.heads.bright![0]!.prob;
    expect(formatPredictions(rows)).toBe(
      `${join(dir, 'one image.png')}  color: red ${(rows[0]!.heads.color![0]!.prob * 100).toFixed(1)}%  bright: bright ${(p * 100).toFixed(1)}%\n`,
    );
  });

  it('CSV quoting and binary columns', () => {
    const csv = predictionsCsv(
      HEADS,
      [{ path: 'a,b.png', heads: { color: [{ class: 'red', prob: 0.5 }], bright: [{ class: 'bright', prob: 0.25 }] } }],
      1,
    );
    expect(csv).toBe('path,color_top1,color_p1,bright_p,error\n"a,b.png",red,0.500000,0.250000,\n');
    // a row without a prediction: empty cells, then why
    expect(predictionsCsv(HEADS, [{ path: 'x.jpg', heads: {}, error: 'does not decode: bad, truncated' }], 2)).toBe(
      'path,color_top1,color_p1,color_top2,color_p2,bright_p,error\nx.jpg,,,,,,"does not decode: bad, truncated"\n',
    );
  });

  it('reports missing inputs and empty folders', async () => {
    await expect(predict({ model: join(dir, 'model'), inputs: [join(dir, 'nope.png')] })).rejects.toThrow(
      `${join(dir, 'nope.png')}: no such image file or folder`,
    );
    await expect(predict({ model: join(dir, 'model'), inputs: [join(dir, 'model')] })).rejects.toThrow(
      /^no image files/,
    );
    await expect(predict({ model: join(dir, 'model'), inputs: [dir], topK: 0 })).rejects.toThrow(
      'topK must be a positive integer, received 0',
    );
  });
});
