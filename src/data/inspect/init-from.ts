/**
 * `initFrom(options, io)`: the entry point of `mlc-pipe init --from <images>`. Looks at a folder
 * of images (layout.ts: pattern, manifest, folders), labels it as generate-txt will, probes every
 * labelled image (probe.ts), and returns the pipeline YAML (pipeline-yaml.ts) with the input size
 * (input-size.ts) and recipe (recipe.ts) chosen from the data, plus the console report of what it
 * found (report.ts). Writes nothing: the command writes the YAML or prints it (`--dry-run`).
 *
 * Refused (ConfigError, exit 2): a missing folder, no image files, nothing labelled, fewer than
 * MIN_IMAGES readable labelled images, more than half the labelled images unreadable, or no head
 * with two classes among the readable images.
 */
import { availableParallelism } from 'node:os';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { ConfigError } from '../../errors.ts';
import type { HeadSpec } from '../heads.ts';
import { IMAGE_EXTENSIONS, listImages } from '../generate/scan.ts';
import { SPLITS, stratifiedSplit } from '../generate/split.ts';
import { chooseInputSize } from './input-size.ts';
import { detectLayout, labelImages, type Layout } from './layout.ts';
import { MANIFEST_NAMES } from './manifest.ts';
import type { InitFromOptions } from './options.ts';
import { renderPipeline } from './pipeline-yaml.ts';
import { probeImages, type Unreadable } from './probe.ts';
import { chooseRecipe, stratifyHead, type Choice } from './recipe.ts';
import { formatFindings } from './report.ts';

/** Fewest readable labelled images init writes a pipeline for (a train, a val and a test split). */
export const MIN_IMAGES = 10;
/** A class with fewer readable images than this gets a warning. */
export const FEW_IMAGES = 5;
/** check-labels' own default max_reject_rate. */
const DEFAULT_REJECT_RATE = 0.05;

export interface InitFromIO {
  /** Absolute path of a path in the options. */
  path(p: string): string;
  /** A transient status line. */
  progress?(message: string): void;
  /** Files probed at once. Defaults to every core. */
  readonly cpus?: number;
}

export interface InitFromResult {
  yaml: string;
  /** What was found, for the console (stderr). */
  report: string[];
  layout: Layout;
  heads: HeadSpec[];
  unreadable: Unreadable[];
  warnings: string[];
}

/** Files under `root` without an image extension (hidden files and the manifest left out). */
async function otherFiles(root: string): Promise<string[]> {
  const exts = new Set(IMAGE_EXTENSIONS);
  const out: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.startsWith('.') || exts.has(extname(e.name).toLowerCase())) continue;
    const parent = (e as { parentPath?: string }).parentPath ?? root;
    const rel = relative(root, join(parent, e.name)).split('\\').join('/');
    if (!MANIFEST_NAMES.includes(rel)) out.push(rel);
  }
  return out.sort();
}

/** A pipeline name from the folder name: letters, digits, `_ . -`. */
export function pipelineName(root: string): string {
  const n = basename(root)
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  return n || 'images';
}

const ceil2 = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;

/** The labelled images of the folder; refused when it is missing, holds no image, or nothing can be labelled. */
async function scanFolder(o: InitFromOptions, root: string) {
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory())
    throw new ConfigError(`init: ${o.from} is not a folder${st ? '' : ' (it does not exist)'}`, {
      hint: 'give the folder holding your images: mlc-pipe init --from photos/',
    });
  if (o.val_fraction + o.test_fraction >= 1)
    throw new ConfigError(
      `init: val_fraction + test_fraction must be < 1, received ${o.val_fraction} + ${o.test_fraction}`,
    );
  const images = await listImages(root);
  const ignored = await otherFiles(root);
  const layout = await detectLayout(root, images, { pattern: o.pattern, heads: o.heads });
  if (images.length === 0 && layout.kind !== 'manifest') {
    throw new ConfigError(`init: no image files (${IMAGE_EXTENSIONS.join(' ')}) under ${o.from}`, {
      hint: ignored.length
        ? `found only ${ignored.slice(0, 3).join(', ')}${ignored.length > 3 ? ', …' : ''}`
        : 'the folder is empty',
    });
  }
  const { heads, items, skipped } = await labelImages(root, layout);
  if (items.length === 0) {
    throw new ConfigError(`init: no image under ${o.from} could be labelled (${skipped.length} skipped)`, {
      hint: skipped[0] ? `first skipped: ${skipped[0].path}: ${skipped[0].reason}` : 'check the folder layout',
    });
  }
  return { images, ignored, layout, heads, items, skipped };
}

type Labelled = Awaited<ReturnType<typeof scanFolder>>['items'];

/** Probes every labelled image; refused when fewer than MIN_IMAGES, or at most half of them, can be read. */
async function probeLabelled(o: InitFromOptions, root: string, items: Labelled, io: InitFromIO) {
  const probe = await probeImages(
    root,
    items.map((i) => i.path),
    io.cpus ?? availableParallelism(),
    (d, n) => io.progress?.(`probing images ${d}/${n}`),
  );
  const bad = new Set(probe.unreadable.map((u) => u.path));
  const readable = items.filter((i) => !bad.has(i.path));
  if (readable.length < MIN_IMAGES) {
    throw new ConfigError(
      `init: ${readable.length} of ${items.length} labelled images under ${o.from} can be read; a pipeline needs at least ${MIN_IMAGES} (train, val and test)`,
      {
        hint: probe.unreadable[0] ? `e.g. ${probe.unreadable[0].path}: ${probe.unreadable[0].reason}` : 'add images',
      },
    );
  }
  if (probe.unreadable.length > items.length / 2) {
    throw new ConfigError(
      `init: ${probe.unreadable.length} of ${items.length} labelled images under ${o.from} cannot be read`,
      { hint: `e.g. ${probe.unreadable[0]!.path}: ${probe.unreadable[0]!.reason}` },
    );
  }
  return { probe, bad, readable };
}

/** check-labels' max_reject_rate: its default, or just above the worst split's share of unreadable files. */
function rejectRateChoice(
  split: Record<(typeof SPLITS)[number], Labelled>,
  bad: ReadonlySet<string>,
  unreadable: number,
): Choice<number> {
  const worst = SPLITS.map((s) => ({
    s,
    n: split[s].length,
    bad: split[s].filter((i) => bad.has(i.path)).length,
  })).reduce((a, b) => (b.n && b.bad / b.n > (a.n ? a.bad / a.n : 0) ? b : a));
  const worstRate = worst.n ? worst.bad / worst.n : 0;
  return unreadable === 0
    ? {
        value: DEFAULT_REJECT_RATE,
        reason: `init read every labelled image; a split with more than ${DEFAULT_REJECT_RATE * 100} % bad lines stops the run (check-labels' default)`,
      }
    : {
        value: Math.max(DEFAULT_REJECT_RATE, ceil2(worstRate + 0.01)),
        reason: `init could not read ${unreadable} labelled file(s) (listed when it ran); check-labels rejects them: the most in ${worst.s}, ${worst.bad} of its ${worst.n} lines (${(100 * worstRate).toFixed(1)} %)`,
      };
}

/** Warnings on heads and classes with too few readable images; refused when no head has two classes. */
function classWarnings(recipe: ReturnType<typeof chooseRecipe>, from: string): string[] {
  const learnable = recipe.balance.filter((b) => b.counts.filter(([, c]) => c > 0).length >= 2);
  if (learnable.length === 0) {
    const b = recipe.balance[0]!;
    throw new ConfigError(
      `init: no head has two classes among the readable images under ${from} (${b.head}: ${b.counts
        .filter(([, c]) => c > 0)
        .map(([c]) => c)
        .join(', ')})`,
      {
        hint: 'a classifier needs at least two classes: add a folder (or label) for another class',
      },
    );
  }
  const warnings: string[] = [];
  for (const b of recipe.balance) {
    const present = b.counts.filter(([, c]) => c > 0);
    if (present.length < 2)
      warnings.push(
        `head ${b.head}: only ${present[0]?.[0] ?? 'no class'} has images, so it cannot be learned; drop it (--heads / --pattern / the manifest) or add images`,
      );
    for (const [c, n] of b.counts)
      if (n > 0 && n < FEW_IMAGES)
        warnings.push(
          `head ${b.head}: class ${c} has ${n} readable image${n === 1 ? '' : 's'} (fewer than ${FEW_IMAGES}): too few to learn or to test`,
        );
  }
  return warnings;
}

/** The comment at the top of the written pipeline: where it came from, what it found, how to run it. */
function pipelineHeader(
  o: InitFromOptions,
  layout: Layout,
  heads: HeadSpec[],
  readable: number,
  unreadable: number,
): string[] {
  return [
    `Written by \`mlc-pipe init --from ${o.from}\`: ${layout.description}.`,
    `${readable} readable labelled images${unreadable ? `, ${unreadable} unreadable (check-labels rejects them)` : ''}; heads: ${heads.map((h) => `${h.name} (${h.classes.length === 1 ? 'binary' : `${h.classes.length} classes`})`).join(', ')}.`,
    'generate-txt → check-labels (train, val, test) → write-tfrecord → train → evaluate → prune → fine-tune → evaluate → convert (ONNX).',
    '',
    `  mlc-pipe run ${o.out}`,
    `  mlc-pipe run ${o.out} -S vars.epochs=5 -S vars.finetune_epochs=2   # a quicker first look`,
    '',
    'Outputs land beside this file: data/, models/, reports/, exports/, logs/.',
  ];
}

/** Looks at the folder and returns the pipeline YAML and the report; see the module comment. */
export async function initFrom(o: InitFromOptions, io: InitFromIO): Promise<InitFromResult> {
  const root = io.path(o.from);
  const { images, ignored, layout, heads, items, skipped } = await scanFolder(o, root);
  const { probe, bad, readable } = await probeLabelled(o, root, items, io);

  // The split generate-txt will make (same items, order, seed and fractions), to size max_reject_rate.
  const stratify = stratifyHead(
    heads,
    readable.map((i) => i.labels),
  );
  const split = stratifiedSplit(items, {
    valFraction: o.val_fraction,
    testFraction: o.test_fraction,
    seed: o.seed,
    stratify: stratify.value,
  });
  const maxRejectRate = rejectRateChoice(split, bad, probe.unreadable.length);

  const readableTrain = split.train.filter((i) => !bad.has(i.path)).length;
  const recipe = chooseRecipe(
    heads,
    readable.map((i) => i.labels),
    readableTrain,
  );
  const warnings = classWarnings(recipe, o.from);
  const size = chooseInputSize(probe.images);

  const pipelineFile = io.path(o.out);
  const findings = {
    root: o.from,
    imageFiles: images.length,
    layout,
    heads,
    readable: readable.length,
    probed: probe.images,
    unreadable: probe.unreadable,
    skipped,
    ignored,
    split: { train: split.train.length, val: split.val.length, test: split.test.length },
    stratify: heads[stratify.value]!.name,
    maxRejectRate: maxRejectRate.value,
    recipe,
    size,
    warnings,
  };
  const yaml = renderPipeline({
    name: pipelineName(root),
    images: relative(dirname(pipelineFile), root).split('\\').join('/') || '.',
    layout,
    size,
    recipe,
    maxRejectRate,
    stratify,
    valFraction: o.val_fraction,
    testFraction: o.test_fraction,
    seed: o.seed,
    header: pipelineHeader(o, layout, heads, readable.length, probe.unreadable.length),
  });
  return { yaml, report: formatFindings(findings), layout, heads, unreadable: probe.unreadable, warnings };
}
