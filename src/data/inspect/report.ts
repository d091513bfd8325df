/**
 * What `init --from` found, as console lines (the CLI prints them on stderr before writing):
 * the layout and why, images per class of each head with a bar, the class balance and the
 * weighting chosen for it, the split, formats and the conversions the loader will make, every
 * file it cannot read and why, files left unlabelled or ignored, warnings, and the input size and
 * recipe chosen.
 */
import type { HeadSpec } from '../heads.ts';
import type { Skipped } from '../generate/sources.ts';
import type { InputSize } from './input-size.ts';
import type { Layout } from './layout.ts';
import type { ProbedImage, Unreadable } from './probe.ts';
import type { Recipe } from './recipe.ts';

export interface Findings {
  root: string;
  imageFiles: number;
  layout: Layout;
  heads: HeadSpec[];
  readable: number;
  probed: ProbedImage[];
  unreadable: Unreadable[];
  skipped: Skipped[];
  ignored: string[];
  split: { train: number; val: number; test: number };
  /** Name of the head the split is stratified on. */
  stratify: string;
  maxRejectRate: number;
  recipe: Recipe;
  size: InputSize;
  warnings: string[];
}

const BAR = 24;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Up to `max` items, then "… and N more". */
function listed<T>(xs: T[], max: number, line: (x: T) => string): string[] {
  const out = xs.slice(0, max).map((x) => `  ${line(x)}`);
  if (xs.length > max) out.push(`  … and ${xs.length - max} more`);
  return out;
}

function counted(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function formatFindings(f: Findings): string[] {
  const L: string[] = [];
  L.push(`init: ${f.root}: ${plural(f.imageFiles, 'image file')}`);
  L.push(`layout: ${f.layout.description}`);
  for (const n of f.layout.notes) L.push(`  ${n}`);
  const binaryHeads = f.recipe.balance.filter((_, k) => f.heads[k]!.classes.length === 1);
  for (const [k, b] of f.recipe.balance.entries()) {
    if (f.heads[k]!.classes.length === 1) continue;
    const total = b.counts.reduce((s, [, c]) => s + c, 0);
    L.push(`head ${b.head}: ${plural(b.counts.length, 'class', 'classes')}, ${plural(total, 'readable image')}`);
    const max = Math.max(1, ...b.counts.map(([, c]) => c));
    const width = Math.max(...b.counts.map(([c]) => c.length));
    for (const [c, n] of b.counts)
      L.push(`  ${c.padEnd(width)} ${String(n).padStart(6)}  ${'█'.repeat(Math.round((n / max) * BAR))}`);
    L.push(
      `  imbalance (largest/smallest class): ${Number.isFinite(b.ratio) ? b.ratio.toFixed(2) : 'a class has no readable image'}`,
    );
  }
  if (binaryHeads.length) {
    L.push(`binary heads (multi-hot, one per tag): ${binaryHeads.length}`);
    const width = Math.max(...binaryHeads.map((b) => b.head.length));
    for (const b of binaryHeads) {
      const pos = b.counts[0]![1];
      const all = pos + b.counts[1]![1];
      L.push(
        `  ${b.head.padEnd(width)} ${String(pos).padStart(6)} of ${all} (${all ? ((100 * pos) / all).toFixed(0) : 0} %)  imbalance ${Number.isFinite(b.ratio) ? b.ratio.toFixed(2) : '∞'}`,
      );
    }
  }
  L.push(
    `class weighting: ${f.recipe.classWeights.value === 'none' ? 'none' : 'per-class weights'} (${f.recipe.classWeights.reason})`,
  );
  L.push(
    `split (seeded, stratified on head ${f.stratify}): train ${f.split.train}, val ${f.split.val}, test ${f.split.test} labelled images`,
  );
  if (f.probed.length) {
    L.push(`formats: ${counted(f.probed.map((p) => p.format))}`);
    const conv: string[] = [];
    for (const p of f.probed) {
      if (p.space === 'cmyk') conv.push('CMYK→sRGB');
      else if (p.channels <= 2) conv.push('grey→RGB');
      if (p.palette) conv.push('palette→RGB');
      if (p.hasAlpha) conv.push('alpha dropped');
      if (/16$/.test(p.space)) conv.push('16-bit→8-bit');
      if (p.orientation !== 1) conv.push('EXIF rotation applied');
      if (p.reencode) conv.push(`${p.format} re-encoded to PNG by check-labels`);
    }
    if (conv.length) L.push(`converted on load: ${counted(conv)}`);
  }
  if (f.unreadable.length) {
    L.push(
      `cannot read ${plural(f.unreadable.length, 'file')} (check-labels rejects them; max_reject_rate ${f.maxRejectRate} covers them):`,
    );
    L.push(...listed(f.unreadable, 50, (u) => `${u.path}: ${u.reason}`));
  } else L.push('cannot read: none');
  if (f.skipped.length) {
    L.push(
      `not labelled: ${plural(f.skipped.length, 'file')} (generate-txt skips ${f.skipped.length === 1 ? 'it' : 'them'}, listed in its skipped.txt):`,
    );
    L.push(...listed(f.skipped, 10, (s) => `${s.path}: ${s.reason}`));
  }
  if (f.ignored.length)
    L.push(
      `ignored: ${plural(f.ignored.length, 'file')} without an image extension: ${f.ignored.slice(0, 5).join(', ')}${f.ignored.length > 5 ? ', …' : ''}`,
    );
  for (const w of f.warnings) L.push(`warning: ${w}`);
  L.push(`${f.size.reason}`);
  const r = f.recipe;
  L.push(
    `training: resnet18 width ${r.widthMultiplier.value}, batch ${r.batchSize.value}, ${r.epochs.value} epochs, then prune 30 % and fine-tune ${r.finetuneEpochs} epochs`,
  );
  return L;
}
