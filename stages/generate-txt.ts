/**
 * generate-txt: scans a dataset (class folders, file-name regex, per-character file names, or a
 * CSV/JSONL manifest) and writes train.txt / val.txt / test.txt (seeded stratified split),
 * classes.json, counts.json and skipped.txt (files that could not be labelled, with the reason).
 * See src/data/generate/sources.ts for each source's rules.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';

const HeadHint = Type.Object(
  {
    name: Type.String({ description: 'Head name.' }),
    classes: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: 'Class names in label order; a string is split into characters. Defaults to the values seen, in natural order.',
      }),
    ),
  },
  { additionalProperties: false },
);

const params = Type.Object(
  {
    source: Type.Union([Type.Literal('folders'), Type.Literal('pattern'), Type.Literal('chars'), Type.Literal('manifest')], {
      description: 'How labels are found: class folders, a regex with named groups, one character per head, or a CSV/JSONL manifest. Defaults to folders.',
      default: 'folders',
    }),
    root: Type.Optional(Type.String({ description: "Image folder. Defaults to images (the manifest's folder for source manifest)." })),
    out: Type.String({ description: 'Output folder for train/val/test.txt, classes.json, counts.json. Defaults to data/dataset.', default: 'data/dataset' }),
    head_name: Type.String({ description: 'Head name for source folders. Defaults to class.', default: 'class' }),
    pattern: Type.Optional(Type.String({ description: 'Regex with named groups (source pattern), searched in the path relative to root. Defaults to none.' })),
    heads: Type.Optional(Type.Array(HeadHint, { description: 'Heads and their class lists (required for chars; optional elsewhere to fix class order). Defaults to none.' })),
    manifest: Type.Optional(Type.String({ description: 'CSV (header row) or .jsonl manifest (source manifest). Defaults to none.' })),
    path_column: Type.String({ description: 'Manifest column holding the image path. Defaults to path.', default: 'path' }),
    columns: Type.Optional(Type.Array(Type.String(), { description: 'Manifest columns, one head each. Defaults to none.' })),
    tags_column: Type.Optional(Type.String({ description: 'Manifest tag-list column → one binary head per tag (multi-hot). Defaults to none.' })),
    tag_separator: Type.String({ description: 'Separator of tags inside a CSV cell. Defaults to ;.', default: ';' }),
    extensions: Type.Array(Type.String(), {
      description: 'Image file extensions scanned. Defaults to .jpg .jpeg .png .bmp .webp .gif .tif .tiff.',
      default: ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.tif', '.tiff'],
    }),
    val_fraction: Type.Number({ minimum: 0, maximum: 0.5, description: 'Fraction of each class in val. Defaults to 0.1.', default: 0.1 }),
    test_fraction: Type.Number({ minimum: 0, maximum: 0.5, description: 'Fraction of each class in test. Defaults to 0.1.', default: 0.1 }),
    seed: Type.Integer({ description: 'Seed of the split. Defaults to 0.', default: 0 }),
    stratify: Type.Integer({ minimum: 0, description: 'Head index the split is stratified on. Defaults to 0.', default: 0 }),
  },
  { additionalProperties: false },
);

export default defineStage({
  name: 'generate-txt',
  version: '1',
  description: 'Scan images into train/val/test label files, classes.json and counts.json',
  params,
  inputs: (p) => (p.source === 'manifest' ? [p.manifest ?? 'manifest.csv', ...(p.root ? [p.root] : [])] : [p.root ?? 'images']),
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { dirname, join } = await import('node:path');
    const { writeFile } = await import('node:fs/promises');
    const { ConfigError } = await import('../src/errors.ts');
    const src = await import('../src/data/generate/sources.ts');
    const { stratifiedSplit, countLabels, formatCounts } = await import('../src/data/generate/split.ts');
    const { writeSplits } = await import('../src/data/generate/write.ts');
    const p = ctx.params;
    if (p.val_fraction + p.test_fraction >= 1) {
      throw new ConfigError(`generate-txt: val_fraction + test_fraction must be < 1, received ${p.val_fraction} + ${p.test_fraction}`);
    }
    let root: string;
    let labelled;
    if (p.source === 'manifest') {
      if (!p.manifest) throw new ConfigError('generate-txt: source manifest needs `manifest` (a .csv or .jsonl file)');
      const manifest = ctx.path(p.manifest);
      root = p.root ? ctx.path(p.root) : dirname(manifest);
      labelled = await src.fromManifest(manifest, {
        pathColumn: p.path_column,
        columns: p.columns,
        tagsColumn: p.tags_column,
        tagSeparator: p.tag_separator,
        hints: p.heads,
      });
    } else {
      root = ctx.path(p.root ?? 'images');
      if (p.source === 'folders') labelled = await src.fromFolders(root, p.head_name, p.heads, p.extensions);
      else if (p.source === 'chars') labelled = await src.fromChars(root, p.heads ?? [], p.extensions);
      else {
        if (!p.pattern) throw new ConfigError('generate-txt: source pattern needs `pattern` (a regex with named groups, one per head)');
        labelled = await src.fromPattern(root, p.pattern, p.heads, p.extensions);
      }
    }
    const { heads, items, skipped } = labelled;
    if (items.length === 0) {
      throw new ConfigError(`generate-txt: no labelled images found (${skipped.length} skipped) under ${root}`, {
        hint: skipped[0] ? `first skipped: ${skipped[0].path}: ${skipped[0].reason}` : 'check `root` and `extensions`',
      });
    }
    if (p.stratify >= heads.length) throw new ConfigError(`generate-txt: stratify ${p.stratify} is not a head index (0..${heads.length - 1})`);
    const splits = stratifiedSplit(items, { valFraction: p.val_fraction, testFraction: p.test_fraction, seed: p.seed, stratify: p.stratify });
    const counts = countLabels(heads, splits, skipped.length);
    const outDir = ctx.out(p.out);
    await writeSplits(outDir, ctx.path(p.out), root, heads, splits, counts);
    await writeFile(join(outDir, 'skipped.txt'), skipped.map((s) => `${s.path}\t${s.reason}`).join('\n') + (skipped.length ? '\n' : ''));
    ctx.log(`${items.length} images: train ${counts.splits.train}, val ${counts.splits.val}, test ${counts.splits.test}; ${heads.length} head(s)`);
    for (const line of formatCounts(counts)) ctx.log(`  ${line}`);
    const tagMode = p.source === 'manifest' && p.tags_column !== undefined;
    for (const h of tagMode ? [] : heads.filter((x) => x.classes.length === 1)) {
      ctx.log(`warning: head ${h.name} has a single class "${h.classes[0]}", so it is a binary head whose label is 1 wherever the value is present; add the other classes to \`heads\` or check the data`);
    }
    if (skipped.length) {
      ctx.log(`${skipped.length} file(s) skipped (listed in ${p.out}/skipped.txt), e.g. ${skipped[0]!.path}: ${skipped[0]!.reason}`);
    }
    return { metrics: { images: items.length, train: counts.splits.train, val: counts.splits.val, test: counts.splits.test, skipped: skipped.length } };
  },
});
