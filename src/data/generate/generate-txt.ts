/**
 * `generateTxt(options, io)`: the generate-txt entry point. Scans a dataset (class folders, a
 * file-name regex, per-character file names, or a CSV/JSONL manifest; sources.ts), splits it
 * (seeded, stratified; split.ts) and writes train.txt / val.txt / test.txt, classes.json,
 * counts.json and skipped.txt. The stage (stages/generate-txt.ts) passes its params and context.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EntryIO } from '../../entry-io.ts';
import { ConfigError, PreflightError } from '../../errors.ts';
import type { GenerateTxtOptions } from './options.ts';
import * as src from './sources.ts';
import { countLabels, formatCounts, stratifiedSplit, type Counts, type SplitName } from './split.ts';
import { writeSplits } from './write.ts';

/** The labelled images of the source the options name, and the folder their paths are relative to. */
async function scanSource(p: GenerateTxtOptions, io: EntryIO): Promise<{ root: string; labelled: src.Labelled }> {
  if (p.source === 'manifest') {
    if (!p.manifest) throw new ConfigError('generate-txt: source manifest needs `manifest` (a .csv or .jsonl file)');
    const manifest = io.path(p.manifest);
    const root = p.root ? io.path(p.root) : dirname(manifest);
    const labelled = await src.fromManifest(manifest, {
      pathColumn: p.path_column,
      columns: p.columns,
      tagsColumn: p.tags_column,
      tagSeparator: p.tag_separator,
      hints: p.heads,
    });
    return { root, labelled };
  }
  const root = io.path(p.root ?? 'images');
  if (p.source === 'folders')
    return { root, labelled: await src.fromFolders(root, p.head_name, p.heads, p.extensions) };
  if (p.source === 'chars') return { root, labelled: await src.fromChars(root, p.heads ?? [], p.extensions) };
  if (!p.pattern)
    throw new ConfigError('generate-txt: source pattern needs `pattern` (a regex with named groups, one per head)');
  return { root, labelled: await src.fromPattern(root, p.pattern, p.heads, p.extensions) };
}

/** Refuses a val or test split left empty although its fraction asks for images. */
function checkSplitsFilled(
  p: GenerateTxtOptions,
  splits: Record<SplitName, src.LabelledItem[]>,
  images: number,
  root: string,
): void {
  for (const [name, fraction] of [
    ['val', p.val_fraction],
    ['test', p.test_fraction],
  ] as const) {
    if (fraction > 0 && splits[name].length === 0) {
      // Each class puts round(n · fraction) images in the split: n ≥ 1/(2·fraction) gives one.
      throw new PreflightError(
        `the ${name} split is empty although ${name}_fraction is ${fraction}: no class has enough images (${images} image${images === 1 ? '' : 's'} in all)`,
        { file: root },
        {
          hint: `add images (a class needs at least ${Math.ceil(0.5 / fraction)} for one to go to ${name}), or set ${name}_fraction: 0`,
        },
      );
    }
  }
}

/** The log: split sizes, per-class counts, single-class heads, skipped files. */
function logSummary(p: GenerateTxtOptions, io: EntryIO, labelled: src.Labelled, counts: Counts): void {
  const { heads, items, skipped } = labelled;
  io.log(
    `${items.length} images: train ${counts.splits.train}, val ${counts.splits.val}, test ${counts.splits.test}; ${heads.length} head(s)`,
  );
  for (const line of formatCounts(counts)) io.log(`  ${line}`);
  // A tag head is binary by design; a column or folder head left with one class deserves a warning.
  const tagHead = (name: string) =>
    p.source === 'manifest' && p.tags_column !== undefined && !(p.columns ?? []).includes(name);
  for (const h of heads.filter((x) => x.classes.length === 1 && !tagHead(x.name))) {
    io.log(
      `warning: head ${h.name} has a single class "${h.classes[0]}", so it is a binary head whose label is 1 wherever the value is present; add the other classes to \`heads\` or check the data`,
    );
  }
  if (skipped.length) {
    io.log(
      `${skipped.length} file(s) skipped (listed in ${p.out}/skipped.txt), e.g. ${skipped[0]!.path}: ${skipped[0]!.reason}`,
    );
  }
}

/** Writes the label files of `options.root` (or the manifest) into `options.out` (through `io.out`). */
export async function generateTxt(
  options: GenerateTxtOptions,
  io: EntryIO,
): Promise<{ metrics: Record<string, number> }> {
  const p = options;
  if (p.val_fraction + p.test_fraction >= 1) {
    throw new ConfigError(
      `generate-txt: val_fraction + test_fraction must be < 1, received ${p.val_fraction} + ${p.test_fraction}`,
    );
  }
  const { root, labelled } = await scanSource(p, io);
  const { heads, items, skipped } = labelled;
  if (items.length === 0) {
    throw new ConfigError(`generate-txt: no labelled images found (${skipped.length} skipped) under ${root}`, {
      hint: skipped[0] ? `first skipped: ${skipped[0].path}: ${skipped[0].reason}` : 'check `root` and `extensions`',
    });
  }
  if (p.stratify >= heads.length)
    throw new ConfigError(`generate-txt: stratify ${p.stratify} is not a head index (0..${heads.length - 1})`);
  const splits = stratifiedSplit(items, {
    valFraction: p.val_fraction,
    testFraction: p.test_fraction,
    seed: p.seed,
    stratify: p.stratify,
  });
  const counts = countLabels(heads, splits, skipped.length);
  checkSplitsFilled(p, splits, items.length, root);
  const outDir = io.out(p.out);
  await writeSplits(outDir, io.path(p.out), root, heads, splits, counts);
  await writeFile(
    join(outDir, 'skipped.txt'),
    skipped.map((s) => `${s.path}\t${s.reason}`).join('\n') + (skipped.length ? '\n' : ''),
  );
  logSummary(p, io, labelled, counts);
  return {
    metrics: {
      images: items.length,
      train: counts.splits.train,
      val: counts.splits.val,
      test: counts.splits.test,
      skipped: skipped.length,
    },
  };
}
