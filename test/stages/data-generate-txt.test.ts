import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelFile } from '../../src/data/labels.ts';
import generateTxt from '../../stages/generate-txt.ts';
import { stageContext } from './data-context.ts';

let dir: string;
const touch = async (rel: string): Promise<void> => {
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), 'x');
};
const read = (rel: string): Promise<string> => readFile(join(dir, rel), 'utf8');
const lines = async (rel: string): Promise<string[]> => (await read(rel)).split('\n').filter(Boolean);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-gen-'));
  for (let i = 0; i < 10; i++) await touch(`pets/cat/c${i}.jpg`);
  for (let i = 0; i < 20; i++) await touch(`pets/dog/sub/d${i}.PNG`);
  await touch('pets/stray.jpg');
  await touch('pets/dog/readme.txt');
  for (const f of ['鲁BC6T76.jpg', '京A12345.jpg', '鲁C.jpg', '沪A11111.jpg']) await touch(`plates/${f}`);
  for (const f of ['red_circle_1.png', 'blue_square_2.png', 'red__3.png', 'green_circle_4.png'])
    await touch(`shapes/${f}`);
  await touch('man/img/a b.jpg');
  await touch('man/img/c.jpg');
  await touch('man/img/d.jpg');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('generate-txt stage', () => {
  it('folders: one head, stratified split, counts, paths relative to the output folder', async () => {
    const ctx = stageContext(generateTxt, dir, {
      root: 'pets',
      out: 'data/pets',
      val_fraction: 0.2,
      test_fraction: 0.1,
      seed: 3,
    });
    const res = await generateTxt.run(ctx);
    expect(JSON.parse(await read('data/pets/classes.json'))).toEqual({
      heads: [{ name: 'class', classes: ['cat', 'dog'] }],
    });
    const counts = JSON.parse(await read('data/pets/counts.json'));
    // cat: 10 → val 2, test 1, train 7; dog: 20 → val 4, test 2, train 14
    expect(counts).toEqual({
      splits: { train: 21, val: 6, test: 3 },
      heads: [
        {
          name: 'class',
          classes: { cat: { train: 7, val: 2, test: 1 }, dog: { train: 14, val: 4, test: 2 } },
          unknown: { train: 0, val: 0, test: 0 },
        },
      ],
      skipped: 1,
    });
    expect(res).toMatchObject({ metrics: { images: 30, train: 21, val: 6, test: 3, skipped: 1 } });
    expect(await read('data/pets/skipped.txt')).toBe('stray.jpg\tnot inside a class folder\n');
    const train = await readLabelFile(join(dir, 'data/pets/train.txt'), 1);
    expect(train.every((r) => r.path.startsWith('../../pets/'))).toBe(true);
    const all = [
      ...train,
      ...(await readLabelFile(join(dir, 'data/pets/val.txt'))),
      ...(await readLabelFile(join(dir, 'data/pets/test.txt'))),
    ];
    expect(new Set(all.map((r) => r.path)).size).toBe(30);
    for (const r of all) expect(r.labels).toEqual([r.path.startsWith('../../pets/dog/sub/d') ? 1 : 0]);
    expect(ctx.logs).toContain('  class: cat 7/2/1, dog 14/4/2');

    // same seed → same files; another seed → another split
    await generateTxt.run(
      stageContext(generateTxt, dir, {
        root: 'pets',
        out: 'data/pets2',
        val_fraction: 0.2,
        test_fraction: 0.1,
        seed: 3,
      }),
    );
    expect(await read('data/pets2/val.txt')).toBe(await read('data/pets/val.txt'));
    await generateTxt.run(
      stageContext(generateTxt, dir, {
        root: 'pets',
        out: 'data/pets3',
        val_fraction: 0.2,
        test_fraction: 0.1,
        seed: 4,
      }),
    );
    expect(await read('data/pets3/val.txt')).not.toBe(await read('data/pets/val.txt'));
  });

  it('chars: character i of the name is looked up in head i; missing positions are -1', async () => {
    const heads = [
      { name: 'province', classes: '京沪鲁' },
      { name: 'letter', classes: 'ABC' },
      { name: 'c2', classes: '0123456789ABC' },
    ];
    const ctx = stageContext(generateTxt, dir, {
      source: 'chars',
      root: 'plates',
      out: 'data/plates',
      heads,
      val_fraction: 0,
      test_fraction: 0,
    });
    await generateTxt.run(ctx);
    const rows = (await lines('data/plates/train.txt')).sort();
    expect(rows).toEqual([
      '../../plates/京A12345.jpg 0 0 1',
      '../../plates/沪A11111.jpg 1 0 1',
      '../../plates/鲁BC6T76.jpg 2 1 12',
      '../../plates/鲁C.jpg 2 2 -1',
    ]);
    expect(JSON.parse(await read('data/plates/classes.json')).heads[0]).toEqual({
      name: 'province',
      classes: ['京', '沪', '鲁'],
    });
  });

  it('pattern: named groups are heads; an empty group is -1; non-matching and unknown values are skipped', async () => {
    const ctx = stageContext(generateTxt, dir, {
      source: 'pattern',
      root: 'shapes',
      out: 'data/shapes',
      pattern: '^(?<color>[a-z]+)_(?<shape>[a-z]*)_\\d+\\.png$',
      heads: [{ name: 'color', classes: ['red', 'blue'] }],
      val_fraction: 0,
      test_fraction: 0,
    });
    await generateTxt.run(ctx);
    expect(JSON.parse(await read('data/shapes/classes.json')).heads).toEqual([
      { name: 'color', classes: ['red', 'blue'] },
      { name: 'shape', classes: ['circle', 'square'] },
    ]);
    expect((await lines('data/shapes/train.txt')).sort()).toEqual([
      '../../shapes/blue_square_2.png 1 1',
      '../../shapes/red__3.png 0 -1',
      '../../shapes/red_circle_1.png 0 0',
    ]);
    expect(await read('data/shapes/skipped.txt')).toBe(
      'green_circle_4.png\tvalue "green" is not a class of head color (red, blue)\n',
    );
  });

  it('manifest: CSV columns per head (quoted path with a space, BOM) and JSONL tags → multi-hot', async () => {
    await writeFile(
      join(dir, 'man', 'labels.csv'),
      '\uFEFFpath,colour,size\r\n"img/a b.jpg",red,L\r\nimg/c.jpg,blue,\r\nimg/d.jpg,red,S\r\n',
    );
    await generateTxt.run(
      stageContext(generateTxt, dir, {
        source: 'manifest',
        manifest: 'man/labels.csv',
        columns: ['colour', 'size'],
        out: 'data/man',
        val_fraction: 0,
        test_fraction: 0,
      }),
    );
    expect((await lines('data/man/train.txt')).sort()).toEqual([
      '../../man/img/a b.jpg\t1 0',
      '../../man/img/c.jpg 0 -1',
      '../../man/img/d.jpg 1 1',
    ]);
    expect(JSON.parse(await read('data/man/classes.json')).heads).toEqual([
      { name: 'colour', classes: ['blue', 'red'] },
      { name: 'size', classes: ['L', 'S'] },
    ]);

    await writeFile(
      join(dir, 'man', 'tags.jsonl'),
      '{"path":"img/a b.jpg","tags":["dog","outdoor"]}\n{"path":"img/c.jpg","tags":[]}\n\n{"path":"img/d.jpg","tags":["cat"]}\n',
    );
    await generateTxt.run(
      stageContext(generateTxt, dir, {
        source: 'manifest',
        manifest: 'man/tags.jsonl',
        tags_column: 'tags',
        out: 'data/tags',
        val_fraction: 0,
        test_fraction: 0,
      }),
    );
    expect(JSON.parse(await read('data/tags/classes.json')).heads).toEqual([
      { name: 'cat', classes: ['cat'] },
      { name: 'dog', classes: ['dog'] },
      { name: 'outdoor', classes: ['outdoor'] },
    ]);
    expect((await lines('data/tags/train.txt')).sort()).toEqual([
      '../../man/img/a b.jpg\t0 1 1',
      '../../man/img/c.jpg 0 0 0',
      '../../man/img/d.jpg 1 0 0',
    ]);

    // Both: the column heads, then one binary head per tag; a row with an unknown value is skipped whole.
    await writeFile(
      join(dir, 'man', 'both.csv'),
      'path,colour,tags\nimg/c.jpg,blue,dog;outdoor\nimg/d.jpg,red,\nimg/e.jpg,green,cat\n',
    );
    await generateTxt.run(
      stageContext(generateTxt, dir, {
        source: 'manifest',
        manifest: 'man/both.csv',
        columns: ['colour'],
        tags_column: 'tags',
        heads: [{ name: 'colour', classes: ['red', 'blue'] }],
        out: 'data/both',
        val_fraction: 0,
        test_fraction: 0,
      }),
    );
    expect(JSON.parse(await read('data/both/classes.json')).heads).toEqual([
      { name: 'colour', classes: ['red', 'blue'] },
      { name: 'cat', classes: ['cat'] },
      { name: 'dog', classes: ['dog'] },
      { name: 'outdoor', classes: ['outdoor'] },
    ]);
    expect((await lines('data/both/train.txt')).sort()).toEqual([
      '../../man/img/c.jpg 1 0 1 1',
      '../../man/img/d.jpg 0 0 0 0',
    ]);
    expect(await read('data/both/skipped.txt')).toBe(
      'img/e.jpg\tvalue "green" is not a class of head colour (red, blue)\n',
    );
  });

  it('a head left with one class becomes binary: its class is label 1, with a warning', async () => {
    const ctx = stageContext(generateTxt, dir, {
      source: 'pattern',
      root: 'shapes',
      out: 'data/one',
      pattern: '^(?<kind>red)_',
      val_fraction: 0,
      test_fraction: 0,
    });
    await generateTxt.run(ctx);
    expect(JSON.parse(await read('data/one/classes.json')).heads).toEqual([{ name: 'kind', classes: ['red'] }]);
    expect((await lines('data/one/train.txt')).sort()).toEqual([
      '../../shapes/red__3.png 1',
      '../../shapes/red_circle_1.png 1',
    ]);
    expect(JSON.parse(await read('data/one/counts.json')).heads[0].classes).toEqual({
      red: { train: 2, val: 0, test: 0 },
    });
    expect(ctx.logs.some((l) => l.startsWith('warning: head kind has a single class "red"'))).toBe(true);
  });

  it('explains bad configuration', async () => {
    await expect(
      generateTxt.run(stageContext(generateTxt, dir, { source: 'pattern', root: 'shapes', pattern: '^(\\w+)_' })),
    ).rejects.toThrow('generate-txt: pattern "^(\\\\w+)_" has no named groups');
    await expect(generateTxt.run(stageContext(generateTxt, dir, { source: 'chars', root: 'plates' }))).rejects.toThrow(
      /^generate-txt: source "chars" needs `heads`/,
    );
    await expect(
      generateTxt.run(
        stageContext(generateTxt, dir, {
          source: 'manifest',
          manifest: 'man/labels.csv',
          columns: ['colour', 'shape'],
        }),
      ),
    ).rejects.toThrow(/labels\.csv: manifest has no column\(s\) shape; columns are path, colour, size/);
  });
});
