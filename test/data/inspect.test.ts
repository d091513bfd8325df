/**
 * init --from's decisions, piece by piece (src/data/inspect): folder levels → heads, manifest
 * columns, input size, recipe and class weights, each against numbers worked out by hand.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderLabelling, levelPattern, parseHeadLevels } from '../../src/data/inspect/folders.ts';
import { chooseInputSize } from '../../src/data/inspect/input-size.ts';
import { manifestLabelling } from '../../src/data/inspect/manifest.ts';
import { chooseRecipe, headBalance, stratifyHead } from '../../src/data/inspect/recipe.ts';
import { yamlScalar } from '../../src/data/inspect/pipeline-yaml.ts';

const grid = (a: string[], b: string[], file = 'x.jpg') => a.flatMap((x) => b.map((y) => `${x}/${y}/${file}`));

describe('folder levels → heads', () => {
  it('one level of folders is one head, source folders', () => {
    const f = folderLabelling(['cat/1.jpg', 'cat/2.jpg', 'dog/1.png']);
    expect(f).toMatchObject({ kind: 'folders', source: 'folders', headName: 'class', heads: ['class'] });
  });

  it('names that recur under different parents make each level a head', () => {
    const f = folderLabelling(grid(['red', 'blue'], ['circle', 'square']));
    expect(f).toMatchObject({
      kind: 'nested',
      source: 'pattern',
      heads: ['level1', 'level2'],
      pattern: '^(?<level1>[^/]+)/(?<level2>[^/]+)/',
    });
    expect(new RegExp(f.pattern!).exec('red/circle/x.jpg')!.groups).toEqual({ level1: 'red', level2: 'circle' });
  });

  it('a hierarchy (leaf names under one parent each) is one head, the leaf', () => {
    const f = folderLabelling(['animal/cat/1.jpg', 'animal/dog/1.jpg', 'vehicle/car/1.jpg']);
    expect(f).toMatchObject({ kind: 'hierarchy', heads: ['class'], pattern: '^[^/]+/(?<class>[^/]+)/' });
  });

  it('train/val/test at the first level and a level with one name are not heads', () => {
    const split = folderLabelling(grid(['train', 'val'], ['cat', 'dog']));
    expect(split).toMatchObject({ heads: ['class'], pattern: '^[^/]+/(?<class>[^/]+)/' });
    expect(split.notes.join('\n')).toContain('folder level 1 is an existing split (train, val)');
    const one = folderLabelling(grid(['all'], ['cat', 'dog']));
    expect(one.heads).toEqual(['class']);
    expect(one.notes[0]).toBe('folder level 1 holds one name only (all): not a head');
  });

  it('mixed depths: the first level is the class', () => {
    expect(folderLabelling(['cat/1.jpg', 'dog/old/2.jpg']).source).toBe('folders');
  });

  it('--heads names levels, - skips one, a number counts them', () => {
    expect(parseHeadLevels('colour/shape')).toEqual(['colour', 'shape']);
    expect(parseHeadLevels('-/shape')).toEqual([undefined, 'shape']);
    expect(parseHeadLevels('2')).toEqual(['level1', 'level2']);
    expect(levelPattern([undefined, 'shape'])).toBe('^[^/]+/(?<shape>[^/]+)/');
    expect(() => parseHeadLevels('colour/2nd')).toThrow(
      '--heads "colour/2nd": each folder level is a head name (letters, digits, _; not starting with a digit) or - to skip it; found "2nd"',
    );
    expect(() => parseHeadLevels('-/-')).toThrow('names no head');
    expect(() => parseHeadLevels('a/a')).toThrow('names head a twice');
  });

  it('images directly in the folder: refused with the ways out', () => {
    expect(() => folderLabelling(['a.jpg', 'b.jpg'])).toThrow('every image is directly in the folder');
  });
});

describe('manifest columns', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'mlc-manifest-'));
  it('path column by name, a label column is a head, an id and a constant are not', async () => {
    const d = dir();
    const rows = Array.from(
      { length: 8 },
      (_, i) => `img/${i}.jpg,${100 + i},${i % 2 ? 'cat' : 'dog'},${i % 4},scanner`,
    );
    writeFileSync(path.join(d, 'manifest.csv'), `file,id,animal,pose,source\n${rows.join('\n')}\n`);
    const m = await manifestLabelling(d, 'manifest.csv');
    expect(m).toMatchObject({ pathColumn: 'file', columns: ['animal', 'pose'], tagsColumn: undefined, rows: 8 });
    expect(m.notes).toEqual([
      'column id: 8 different values in 8 rows (an id or a measurement, not a label), ignored',
      'column source: one value only (scanner), not a head',
    ]);
  });

  it('a tag list (JSON array, or ; in a CSV cell) is multi-hot; path found by its values', async () => {
    const d = dir();
    writeFileSync(
      path.join(d, 'manifest.jsonl'),
      '{"src": "a.png", "tags": ["x", "y"]}\n{"src": "b.png", "tags": []}\n',
    );
    expect(await manifestLabelling(d, 'manifest.jsonl')).toMatchObject({
      pathColumn: 'src',
      columns: [],
      tagsColumn: 'tags',
    });
    const e = dir();
    writeFileSync(path.join(e, 'manifest.csv'), 'path,labels\na.jpg,x|y\nb.jpg,y\n');
    expect(await manifestLabelling(e, 'manifest.csv')).toMatchObject({ tagsColumn: 'labels', tagSeparator: '|' });
    const f = dir();
    writeFileSync(
      path.join(f, 'manifest.csv'),
      'path,kind,tags\na.jpg,cat,x;y\nb.jpg,dog,y\nc.jpg,cat,\nd.jpg,dog,x\n',
    );
    expect(await manifestLabelling(f, 'manifest.csv')).toMatchObject({
      columns: ['kind'],
      tagsColumn: 'tags',
      tagSeparator: ';',
    });
  });

  it('no path column, or no head column: refused, naming the file', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'manifest.csv'), 'a,b\n1,2\n3,4\n');
    await expect(manifestLabelling(d, 'manifest.csv')).rejects.toThrow(
      `init: ${path.join(d, 'manifest.csv')}: no column holds image paths (columns: a, b)`,
    );
  });
});

describe('input size', () => {
  it('28×28 images → 32×32 (smallest side); 4000×3000 photos → 224×176; 144×48 plates → 144×48', () => {
    const n = (w: number, h: number, k = 5) => Array.from({ length: k }, () => ({ width: w, height: h }));
    expect(chooseInputSize(n(28, 28))).toMatchObject({ width: 32, height: 32 });
    // long side capped at 224; 224 / (4/3) = 168 → the nearest multiple of 16 is 176 (10.5 rounds up)
    expect(chooseInputSize(n(4000, 3000))).toMatchObject({ width: 224, height: 176 });
    expect(chooseInputSize(n(144, 48))).toMatchObject({ width: 144, height: 48 });
    // portrait: median aspect of 3:4 (three of them) and 1:1 (two) is 0.75; long side median 400 → 224; 224·0.75 = 168 → 176
    expect(chooseInputSize([...n(300, 400, 3), ...n(400, 400, 2)])).toMatchObject({ width: 176, height: 224 });
    expect(chooseInputSize(n(28, 28)).reason).toContain('median image 28×28, median aspect 1.00 over 5 images');
  });
});

describe('recipe', () => {
  const heads = [
    { name: 'animal', classes: ['cat', 'dog', 'eel'] },
    { name: 'tag', classes: ['striped'] },
  ];
  // 60 cats, 30 dogs, 10 eels; striped in 20 of 100
  const labels = Array.from({ length: 100 }, (_, i) => [i < 60 ? 0 : i < 90 ? 1 : 2, i % 5 === 0 ? 1 : 0]);

  it('counts per class, imbalance as largest/smallest (a binary head: positives and negatives)', () => {
    expect(headBalance(heads, labels)).toEqual([
      {
        head: 'animal',
        counts: [
          ['cat', 60],
          ['dog', 30],
          ['eel', 10],
        ],
        ratio: 6,
      },
      {
        head: 'tag',
        counts: [
          ['striped', 20],
          ['not striped', 80],
        ],
        ratio: 4,
      },
    ]);
  });

  it('imbalanced heads get n/(k·count) weights in label order', () => {
    const r = chooseRecipe(heads, labels, 80);
    // animal: 100/(3·60) = 0.556, 100/(3·30) = 1.111, 100/(3·10) = 3.333; tag: [0: 100/(2·80), 1: 100/(2·20)]
    expect(r.classWeights.value).toEqual([
      [0.556, 1.111, 3.333],
      [0.625, 2.5],
    ]);
    expect(r.classWeights.reason).toContain('head animal: largest/smallest class 6.0 ≥ 2, so n/(k·count) weights');
  });

  it('the split is stratified on the head with the rarest class', () => {
    expect(stratifyHead(heads, labels)).toMatchObject({
      value: 0,
      reason: expect.stringContaining('head animal: its class eel (10 images)'),
    });
    // striped in 4 of 100: rarer than eel
    const rareTag = labels.map(([a], i) => [a!, i % 25 === 0 ? 1 : 0]);
    expect(stratifyHead(heads, rareTag).value).toBe(1);
  });

  it('balanced data: no weights; batch and epochs from the image count', () => {
    const even = Array.from({ length: 1000 }, (_, i) => [i % 3, i % 2]);
    const r = chooseRecipe(heads, even, 800);
    expect(r.classWeights.value).toBe('none');
    // 800 training images → batch 32, 25 batches an epoch → 3000/25 = 120 epochs → capped at 60
    expect([r.batchSize.value, r.epochs.value, r.finetuneEpochs, r.widthMultiplier.value]).toEqual([32, 60, 15, 0.25]);
    // 20 000 training images → batch 64, 313 batches → ceil(3000/313) = 10 epochs
    expect(chooseRecipe(heads, even, 20000).epochs.value).toBe(10);
    // 20 training images → batch 16 halved to 8 (the floor, though an epoch then has 2.5 batches, not 4)
    expect(chooseRecipe(heads, even, 20).batchSize.value).toBe(8);
  });
});

describe('YAML scalars', () => {
  it('bare when safe, JSON-quoted otherwise (interpolations, spaces, YAML words)', () => {
    expect(yamlScalar('data/photos')).toBe('data/photos');
    expect(yamlScalar('${data}/x')).toBe('"${data}/x"');
    expect(yamlScalar('my photos')).toBe('"my photos"');
    expect(yamlScalar('yes')).toBe('"yes"');
    expect(yamlScalar('../photos')).toBe('../photos');
    expect(yamlScalar('.5')).toBe('".5"');
    expect(yamlScalar('.nan')).toBe('".nan"');
    expect(yamlScalar('^(?<a>[^/]+)/\\d')).toBe('"^(?<a>[^/]+)/\\\\d"');
  });
});
