import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { fromManifest } from '../../src/data/generate/sources.ts';
import { readLabelFile } from '../../src/data/labels.ts';
import { readClassesFile } from '../../src/data/heads.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Labels by path from the demo's own train/val/test.txt. */
async function splitLabels(dir: string): Promise<Map<string, number[]>> {
  const byPath = new Map<string, number[]>();
  for (const split of ['train', 'val', 'test']) {
    for (const r of await readLabelFile(join(dir, `${split}.txt`))) byPath.set(r.path, r.labels);
  }
  return byPath;
}

describe('demo manifest.csv', () => {
  it('plates: generate-txt reading the manifest gives the same labels as the split files, -1 included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlc-manifest-'));
    dirs.push(dir);
    await makeDemoDataset('plates', { out: dir, n: 60, seed: 3 });
    const { heads } = await readClassesFile(join(dir, 'classes.json'));
    const got = await fromManifest(join(dir, 'manifest.csv'), { columns: heads.map((h) => h.name), hints: heads });
    const want = await splitLabels(dir);
    expect(got.skipped).toEqual([]);
    expect(got.items).toHaveLength(60);
    for (const item of got.items) expect(item.labels).toEqual(want.get(item.path));
    expect([...want.values()].some((l) => l.includes(-1))).toBe(true);
    const header = (await readFile(join(dir, 'manifest.csv'), 'utf8')).split('\n')[0];
    expect(header).toBe('path,digit0,digit1,digit2,digit3,inverted');
  });

  it('fashion-multilabel: the tags column gives the multi-hot binary heads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlc-manifest-'));
    dirs.push(dir);
    await makeDemoDataset('fashion-multilabel', { out: dir, n: 30, seed: 1 });
    const { heads } = await readClassesFile(join(dir, 'classes.json'));
    const got = await fromManifest(join(dir, 'manifest.csv'), { tagsColumn: 'tags', hints: heads });
    const want = await splitLabels(dir);
    expect(got.items).toHaveLength(30);
    for (const item of got.items) expect(item.labels).toEqual(want.get(item.path));
  });
});
