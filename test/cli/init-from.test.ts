/**
 * `mlc-pipe init --from <images>` then `mlc-pipe run`, as a new user types them, on folders of real
 * images built at test time from the fashion-mnist and mnist packages (test/cli/image-folder.ts):
 * mixed formats (JPEG, grey/palette/16-bit/alpha PNG, WebP, CMYK JPEG, EXIF-rotated JPEG) and three
 * broken files. One layout (class folders) runs end to end; the others (two-level heads, a CSV
 * manifest, a JSONL tag list, --pattern) are checked at init: the heads and classes detected, the
 * YAML validates, and generate-txt labels every image as the fixture wrote it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../runner/project.ts';
import { runMain } from './run-main.ts';
import { classFolders, colourFolders, manifestFolder, type ClassSource } from './image-folder.ts';

const FASHION: ClassSource[] = [
  { name: 'tshirt', set: 'fashion-mnist', cls: 0 },
  { name: 'trouser', set: 'fashion-mnist', cls: 1 },
  { name: 'sneaker', set: 'fashion-mnist', cls: 7 },
  { name: 'bag', set: 'fashion-mnist', cls: 8 },
];
const DIGITS: ClassSource[] = [0, 1, 2, 3].map((d) => ({ name: `d${d}`, set: 'mnist', cls: d }));

const tempDir = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `mlc-init-from-${prefix}-`));
const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
/** Lines of the init report under "cannot read N files …:" (each `  path: reason`), as paths. */
const unreadableIn = (stderr: string) => {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('cannot read '));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l.trim().split(': ')[0]!);
  }
  return out.sort();
};

describe('init --from, then run: class folders end to end', () => {
  it('4 classes of real images in mixed formats → evaluated, pruned, exported model; the broken files are exactly the rejects', async () => {
    const dir = tempDir('folders');
    const { images, broken } = await classFolders(path.join(dir, 'photos'), FASHION, 48);

    const init = await cli(['init', '--from', 'photos'], dir);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toBe('');
    // What it found, before writing: images per class, balance and weighting, every unreadable file.
    expect(init.stderr).toContain('layout: class folders: one head (class)');
    for (const c of FASHION) expect(init.stderr).toMatch(new RegExp(`^  ${c.name} +48  █+$`, 'm'));
    expect(init.stderr).toContain(
      'class weighting: none (largest/smallest class under 2 in every head; the most uneven is class at 1.0)',
    );
    expect(unreadableIn(init.stderr)).toEqual([...broken].sort());
    expect(init.stderr).toContain('ignored: 1 file without an image extension: README.txt');
    expect(init.stderr).toContain('converted on load: ');
    for (const conv of [
      'palette→RGB',
      '16-bit→8-bit',
      'alpha dropped',
      'CMYK→sRGB',
      'EXIF rotation applied',
      'grey→RGB',
    ])
      expect(init.stderr).toContain(conv);
    expect(init.stderr).toContain('wrote pipeline.yaml');
    const yaml = readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8');
    expect(yaml).toContain('# input 32×32 (w×h): median image 28×28');
    expect(yaml).toMatch(/^ {6}height: 32\n {6}width: 32$/m);
    expect(yaml).not.toContain('allow_outside_root'); // the images are inside the pipeline's folder

    // A short run (the written recipe asks for more epochs than a test can afford).
    const run = await cli(['run', 'pipeline.yaml', '-S', 'vars.epochs=3', '-S', 'vars.finetune_epochs=1'], dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.ran).toEqual(
      expect.arrayContaining([
        'generate-txt',
        'check-labels@train',
        'write-tfrecord',
        'train',
        'evaluate',
        'prune',
        'finetune',
        'evaluate-finetuned',
        'convert',
      ]),
    );

    // The rejects of the three splits are exactly the broken files.
    const rejected = ['train', 'val', 'test'].flatMap((s) =>
      readFileSync(path.join(dir, 'data/photos/clean', s, 'rejects.txt'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) =>
          path.relative(
            path.join(dir, 'photos'),
            path.resolve(dir, 'data/photos/labels', l.split('\t')[2]!.split(' ')[0]!),
          ),
        ),
    );
    expect(rejected.sort()).toEqual([...broken].sort());

    // Test accuracy well above chance (0.25 with four balanced classes), before and after pruning.
    for (const report of ['photos', 'photos-finetuned']) {
      const m = json<{ heads: { class: { accuracy: number; count: number } } }>(
        path.join(dir, 'reports', report, 'metrics.json'),
      );
      expect(m.heads.class.count).toBeGreaterThanOrEqual(16);
      expect(m.heads.class.accuracy, report).toBeGreaterThan(0.6);
    }

    // The export predicts: its classes on the test split's images agree with their folders.
    const testLines = readFileSync(path.join(dir, 'data/photos/clean/test/clean.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const files = testLines.map((l) =>
      path.relative(dir, path.resolve(dir, 'data/photos/clean/test', l.split(' ')[0]!)),
    );
    expect(files.every((f) => images.includes(path.relative('photos', f)))).toBe(true);
    type Row = { path: string; heads: { class?: { class: string }[] }; error?: string };
    const agree = (rows: Row[]) =>
      rows.filter((r) => r.heads.class?.[0]?.class === r.path.split('/')[1]).length / rows.length;
    const pred = await cli(['predict', '--model', 'exports/photos', ...files, '--out', 'predictions.json'], dir);
    expect(pred.code, pred.stderr).toBe(0);
    const rows = json<Row[]>(path.join(dir, 'predictions.json'));
    expect(rows.map((r) => r.path).sort()).toEqual([...files].sort());
    expect(agree(rows)).toBeGreaterThan(0.6);
    // The export's model.onnx on the whole folder, JSON on stdout: the broken files are rows with an error, the batch goes on.
    const onnx = await cli(['predict', '--model', 'exports/photos/model.onnx', 'photos', '--format', 'json'], dir);
    expect(onnx.code, onnx.stderr).toBe(0);
    const all = JSON.parse(onnx.stdout) as Row[];
    expect(all).toHaveLength(images.length + broken.length);
    expect(
      all
        .filter((r) => r.error !== undefined)
        .map((r) => path.relative('photos', r.path))
        .sort(),
    ).toEqual([...broken].sort());
    expect(agree(all.filter((r) => files.includes(r.path)))).toBeGreaterThan(0.6);
  }, 1_200_000);
});

describe('init --from: other layouts', () => {
  it('two folder levels are two heads; --heads names them; generate-txt labels every image by its folders', async () => {
    const dir = tempDir('nested');
    const written = await colourFolders(path.join(dir, 'shapes'), DIGITS, 12);
    const dry = await runMain(
      'init',
      '--from',
      path.join(dir, 'shapes'),
      '--out',
      path.join(dir, 'p.yaml'),
      '--dry-run',
    );
    expect(dry.code, dry.err).toBe(0);
    expect(dry.err).toContain('layout: nested folders: 2 heads (level1, level2)');
    expect(dry.err).toContain('name them with --heads, e.g. --heads name1/name2');
    expect(dry.out).toContain('pattern: "^(?<level1>[^/]+)/(?<level2>[^/]+)/"');

    const r = await runMain(
      'init',
      '--from',
      path.join(dir, 'shapes'),
      '--out',
      path.join(dir, 'p.yaml'),
      '--heads',
      'colour/digit',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('layout: nested folders: 2 heads (colour, digit)');
    expect(r.err).toMatch(/^head colour: 2 classes, 48 readable images$/m);
    expect(r.err).toMatch(/^head digit: 4 classes, 48 readable images$/m);
    expect(r.err).toContain('cannot read: none');
    // 12 images per digit, 24 per colour: the split is stratified on digit
    expect(readFileSync(path.join(dir, 'p.yaml'), 'utf8')).toContain(
      '      stratify: 1  # head digit: its class d0 (12 images) is the rarest of any head',
    );
    expect((await runMain('validate', path.join(dir, 'p.yaml'))).code).toBe(0);

    const gen = await cli(['run', 'p.yaml', '--stage', 'generate-txt'], dir);
    expect(gen.code, gen.stderr).toBe(0);
    const classes = json<{ heads: { name: string; classes: string[] }[] }>(
      path.join(dir, 'data/shapes/labels/classes.json'),
    );
    expect(classes.heads).toEqual([
      { name: 'colour', classes: ['blue', 'red'] },
      { name: 'digit', classes: ['d0', 'd1', 'd2', 'd3'] },
    ]);
    const labelled = ['train', 'val', 'test'].flatMap((s) =>
      readFileSync(path.join(dir, 'data/shapes/labels', `${s}.txt`), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    expect(labelled).toHaveLength(written.length);
    for (const line of labelled) {
      const [p, colour, digit] = line.split(' ');
      const rel = path.relative(path.join(dir, 'shapes'), path.resolve(dir, 'data/shapes/labels', p!));
      const [c, d] = rel.split('/');
      expect([classes.heads[0]!.classes[Number(colour)], classes.heads[1]!.classes[Number(digit)]]).toEqual([c, d]);
    }
  });

  it('a manifest.csv: its label column is the head, id and constant columns are not', async () => {
    const dir = tempDir('manifest');
    await manifestFolder(path.join(dir, 'scans'), FASHION, 10, { column: 'garment' });
    // The pipeline in a sub-folder: the images lie outside its working folder, which check-labels is told.
    const file = path.join(dir, 'pipelines', 'pipeline.yaml');
    const r = await runMain('init', '--from', path.join(dir, 'scans'), '--out', file);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('layout: manifest.csv (40 rows): column garment → 1 head');
    expect(r.err).toContain('column id: 40 different values in 40 rows (an id or a measurement, not a label), ignored');
    expect(r.err).toContain('column source: one value only (scan), not a head');
    expect(r.err).toMatch(/^head garment: 4 classes, 40 readable images$/m);
    const yaml = readFileSync(file, 'utf8');
    expect(yaml).toContain('  images: ../scans\n');
    expect(yaml).toContain(
      "allow_outside_root: true  # the images folder ../scans lies outside this pipeline's folder",
    );
    expect((await runMain('validate', file)).code).toBe(0);
    const checked = await cli(['run', 'pipeline.yaml', '--stage', 'check-labels'], path.dirname(file));
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const wd = path.dirname(file);
    expect(json<{ heads: unknown[] }>(path.join(wd, 'data/scans/labels/classes.json')).heads).toEqual([
      { name: 'garment', classes: ['bag', 'sneaker', 'trouser', 'tshirt'] },
    ]);
    // 10 per class, 1 each to val and test: every line accepted
    const clean = ['train', 'val', 'test'].map(
      (s) =>
        readFileSync(path.join(wd, 'data/scans/clean', s, 'clean.txt'), 'utf8')
          .split('\n')
          .filter(Boolean).length,
    );
    expect(clean).toEqual([32, 4, 4]);
  });

  it('a manifest.jsonl with a label column and a tag list: the column is a head, each tag a binary head (multi-hot), imbalance weighted', async () => {
    const dir = tempDir('tags');
    const tags: Record<string, string[]> = {
      tshirt: ['top'],
      trouser: ['bottom'],
      sneaker: ['shoe'],
      bag: ['bag', 'top'],
    };
    await manifestFolder(path.join(dir, 'tagged'), FASHION, 10, { column: 'garment', tagsOf: (c) => tags[c.name]! });
    const r = await runMain('init', '--from', path.join(dir, 'tagged'), '--out', path.join(dir, 'pipeline.yaml'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(
      'layout: manifest.jsonl (40 rows): column garment → 1 head; tag list "tags" → multi-hot, one binary head per tag',
    );
    expect(r.err).toMatch(/^head garment: 4 classes, 40 readable images$/m);
    expect(r.err).toContain('binary heads (multi-hot, one per tag): 4');
    // top: 20 of 40 (tshirt + bag); each other tag 10 of 40, 3× as many negatives → weighted
    expect(r.err).toMatch(/^ {2}top +20 of 40 \(50 %\)/m);
    expect(r.err).toMatch(/^ {2}shoe +10 of 40 \(25 %\) +imbalance 3\.00/m);
    const yaml = readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8');
    // heads: garment (balanced: null), then the tags in natural order bag, bottom, shoe, top;
    // [w(0), w(1)] = [40/(2·30), 40/(2·10)] for the 1-in-4 tags, null for top (2 in 4)
    expect(yaml).toContain('class_weights: [null, [0.667, 2], [0.667, 2], [0.667, 2], null]');
    expect((await runMain('validate', path.join(dir, 'pipeline.yaml'))).code).toBe(0);
    const gen = await cli(['run', 'pipeline.yaml', '--stage', 'generate-txt'], dir);
    expect(gen.code, gen.stderr).toBe(0);
    const classes = json<{ heads: { name: string; classes: string[] }[] }>(
      path.join(dir, 'data/tagged/labels/classes.json'),
    );
    expect(classes.heads).toEqual([
      { name: 'garment', classes: ['bag', 'sneaker', 'trouser', 'tshirt'] },
      ...['bag', 'bottom', 'shoe', 'top'].map((t) => ({ name: t, classes: [t] })),
    ]);
    // Every line: the garment's index, then 1 for each of its tags.
    const manifest = readFileSync(path.join(dir, 'tagged/manifest.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { path: string; garment: string; tags: string[] });
    const lines = ['train', 'val', 'test'].flatMap((s) =>
      readFileSync(path.join(dir, 'data/tagged/labels', `${s}.txt`), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    expect(lines).toHaveLength(40);
    for (const line of lines) {
      const [p, ...labels] = line.split(' ');
      const m = manifest.find((x) => p!.endsWith(`/${x.path}`))!;
      expect(labels.map(Number)).toEqual([
        classes.heads[0]!.classes.indexOf(m.garment),
        ...['bag', 'bottom', 'shoe', 'top'].map((t) => (m.tags.includes(t) ? 1 : 0)),
      ]);
    }
  });

  it('--pattern: named groups on the relative path are the heads', async () => {
    const dir = tempDir('pattern');
    await colourFolders(path.join(dir, 'imgs'), DIGITS, 6);
    const r = await runMain(
      'init',
      '--from',
      path.join(dir, 'imgs'),
      '--out',
      path.join(dir, 'p.yaml'),
      '--pattern',
      '^(?<tint>red|blue)/d(?<digit>\\d)/',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('layout: file names through --pattern: 2 head(s) (tint, digit)');
    expect(r.err).toMatch(/^head digit: 4 classes, 24 readable images$/m);
    expect(r.err).toMatch(/^ {2}0 +6 +█+$/m);
  });

  it('refuses with exit 2: no folder, no labels, bad --pattern/--heads, one class, too few images, an existing file', async () => {
    const dir = tempDir('refuse');
    const flat = path.join(dir, 'flat');
    await manifestFolder(flat, FASHION, 3, { column: 'garment' });
    writeFileSync(path.join(flat, 'manifest.csv'), 'nothing\n'); // a header only: no rows
    const cases: [string[], string][] = [
      [['--from', path.join(dir, 'nope')], `init: ${path.join(dir, 'nope')} is not a folder (it does not exist)`],
      [['--from', path.join(flat, 'images')], 'init: every image is directly in the folder'],
      [['--from', flat], `init: ${path.join(flat, 'manifest.csv')} has no rows`],
      [['--from', path.join(flat, 'images'), '--pattern', '(\\d+)'], 'has no named groups, so it names no head'],
      [
        ['--from', path.join(flat, 'images'), '--pattern', '(?<a>['],
        'init: --pattern is not a valid regular expression',
      ],
      [['--from', path.join(flat, 'images'), '--heads', '1x'], '--heads "1x": each folder level is a head name'],
    ];
    for (const [args, message] of cases) {
      const r = await runMain('init', ...args, '--dry-run');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(message);
    }
    const one = path.join(dir, 'one');
    await classFolders(one, FASHION.slice(0, 1), 12);
    const r1 = await runMain('init', '--from', one, '--dry-run');
    expect(r1.code).toBe(2);
    expect(r1.err).toContain('no head has two classes among the readable images');

    const few = path.join(dir, 'few');
    await classFolders(few, FASHION.slice(0, 3), 3);
    const r2 = await runMain('init', '--from', few, '--dry-run');
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(
      `init: 9 of 12 labelled images under ${few} can be read; a pipeline needs at least 10 (train, val and test)`,
    );

    writeFileSync(path.join(dir, 'taken.yaml'), 'x\n');
    const taken = await runMain('init', '--from', one, '--out', path.join(dir, 'taken.yaml'));
    expect(taken.code).toBe(2);
    expect(taken.err).toContain(`init: ${path.join(dir, 'taken.yaml')} already exists`);
    const both = await runMain('init', dir, '--from', one);
    expect(both.code).toBe(2);
    expect(both.err).toContain('init --from writes one pipeline file: give its path with --out');
  });
});
