/**
 * Pre-flight checks of labelled splits, run by train and evaluate before any compute: data that
 * cannot train or be scored is refused with a PreflightError (exit code 2, nothing recorded) at
 * file:line with the fix; data that can, but poorly, gives warnings (with counts).
 *
 * Refused: an empty split; a head whose train labels are all -1; a head with one class present in
 * train. Warned: a class present in val/test but absent from train; a class with fewer than
 * `minPerClass` train images.
 */
import { PreflightError } from '../../errors.ts';
import { headKind, type HeadSpec } from '../heads.ts';
import { UNKNOWN_LABEL, type LabelRecord } from '../labels.ts';

/** Below this many train images of a class, a warning. */
export const MIN_IMAGES_PER_CLASS = 5;

export interface LabelledSplit {
  /** The split's name: train, val, test. */
  name: string;
  /** The label file as the user wrote it (messages name it). */
  file: string;
  records: LabelRecord[];
}

/** Class name of label `v` of `head` (a binary head: `<name>` for 1, `not <name>` for 0). */
function className(head: HeadSpec, v: number): string {
  if (headKind(head) === 'sigmoid') return v === 1 ? head.classes[0]! : `not ${head.classes[0]!}`;
  return head.classes[v] ?? String(v);
}

/** label value → [count, first line] per head. */
function tally(records: LabelRecord[], heads: HeadSpec[]): Array<Map<number, { n: number; line: number }>> {
  const out = heads.map(() => new Map<number, { n: number; line: number }>());
  for (const r of records) {
    r.labels.forEach((v, i) => {
      if (v === UNKNOWN_LABEL || i >= heads.length) return;
      const m = out[i]!;
      const c = m.get(v);
      if (c) c.n++;
      else m.set(v, { n: 1, line: r.line });
    });
  }
  return out;
}

/** Refuses an empty split (a label file with no image line). */
export function refuseEmpty(split: LabelledSplit, hint?: string): void {
  if (split.records.length > 0) return;
  throw new PreflightError(
    `the ${split.name} label file has no images`,
    { file: split.file, line: 1 },
    {
      hint:
        hint ??
        `if check-labels wrote it, it rejected every line (see rejects.txt beside it); otherwise add images to the ${split.name} split` +
          (split.name === 'train' ? '' : ` or set ${split.name === 'val' ? "val_labels: ''" : 'another split'}`),
    },
  );
}

/**
 * Checks the train split (and val/test splits against it). Throws PreflightError for data that
 * cannot train; returns warnings (one line each) for data that trains poorly.
 */
export function preflightSplits(
  heads: HeadSpec[],
  train: LabelledSplit,
  others: LabelledSplit[] = [],
  minPerClass = MIN_IMAGES_PER_CLASS,
): string[] {
  refuseEmpty(train);
  for (const s of others) refuseEmpty(s);
  const warnings: string[] = [];
  const seen = tally(train.records, heads);
  heads.forEach((head, i) => {
    const counts = seen[i]!;
    if (counts.size === 0) {
      throw new PreflightError(
        `head ${head.name}: every one of the ${train.records.length} train labels is -1 (unknown), so it has nothing to learn`,
        { file: train.file, line: train.records[0]!.line },
        {
          hint: `label the images for head ${head.name} (column ${i + 1}), or remove the head from classes.json`,
        },
      );
    }
    if (counts.size === 1) {
      const [[v, c]] = [...counts];
      const others = headKind(head) === 'sigmoid' ? [className(head, 1 - v)] : head.classes.filter((_, k) => k !== v);
      throw new PreflightError(
        `head ${head.name}: only one class, "${className(head, v)}", is present in train (${c.n} image${c.n === 1 ? '' : 's'}); a head needs at least two to learn anything`,
        { file: train.file, line: c.line },
        {
          hint: `add train images of ${others
            .slice(0, 3)
            .map((o) => `"${o}"`)
            .join(', ')}${others.length > 3 ? ', …' : ''}, or remove head ${head.name}`,
        },
      );
    }
  });
  warnings.push(...fewImages(heads, train, minPerClass));
  for (const s of others) warnings.push(...absentFromTrain(heads, train, s));
  return warnings;
}

/** Warnings (one per class, with the count) for classes with fewer than `minPerClass` train images. */
export function fewImages(heads: HeadSpec[], train: LabelledSplit, minPerClass = MIN_IMAGES_PER_CLASS): string[] {
  const seen = tally(train.records, heads);
  return heads.flatMap((head, i) =>
    (headKind(head) === 'sigmoid' ? [0, 1] : head.classes.map((_, k) => k)).flatMap((v) => {
      const n = seen[i]!.get(v)?.n ?? 0;
      return n < minPerClass
        ? [
            `${train.file}: head ${head.name}: class "${className(head, v)}" has only ${n} train image${n === 1 ? '' : 's'} (fewer than ${minPerClass}); its metrics will be noisy`,
          ]
        : [];
    }),
  );
}

/** Warnings (one per class) for classes present in `split` but absent from `train`. */
export function absentFromTrain(heads: HeadSpec[], train: LabelledSplit, split: LabelledSplit): string[] {
  const seen = tally(train.records, heads);
  const warnings: string[] = [];
  tally(split.records, heads).forEach((counts, i) => {
    for (const [v, c] of counts) {
      if (!seen[i]!.has(v)) {
        warnings.push(
          `${split.file}:${c.line}: head ${heads[i]!.name}: class "${className(heads[i]!, v)}" appears ${c.n} time${c.n === 1 ? '' : 's'} in ${split.name} but never in train (${train.file}); the model cannot have learnt it`,
        );
      }
    }
  });
  return warnings;
}
