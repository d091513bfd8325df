/**
 * The training recipe `init --from` writes, from what the folder holds. Each choice carries its
 * reason, which the YAML shows as a comment:
 * - batch size: 16 under 800 training images, 32 under 8000, else 64; halved (not below 8) until
 *   an epoch has at least 4 batches.
 * - epochs: training from scratch needs a few thousand updates, so about TARGET_STEPS batches,
 *   bounded to [MIN_EPOCHS, MAX_EPOCHS]; the fine-tune after pruning gets a quarter (at least 2).
 * - width multiplier of the ResNet-18: 0.25 under 2000 images, 0.5 under 20000, else 1: fewer
 *   images, fewer parameters (less to overfit, faster on a CPU).
 * - class weights: a head is imbalanced when its largest class has IMBALANCE_RATIO times the
 *   images of its smallest (for a binary head: positives against negatives). Then every head gets
 *   explicit weights n / (k · count) (sklearn's 'balanced'), computed here from the folder's counts;
 *   the stratified split keeps those proportions in train. Explicit, because train computes
 *   `class_weights: balanced` and `balanced` re-sampling from a label file, and this pipeline
 *   trains from TFRecord shards.
 */
import type { HeadSpec } from '../heads.ts';

export const TARGET_STEPS = 3000;
export const MIN_EPOCHS = 10;
export const MAX_EPOCHS = 60;
export const IMBALANCE_RATIO = 2;

export interface Choice<T> {
  value: T;
  reason: string;
}

export interface HeadBalance {
  head: string;
  /** Class name → readable images (a binary head: its class and `not <class>`). */
  counts: [string, number][];
  /** Largest / smallest count among classes that have images (Infinity when one has none). */
  ratio: number;
}

export interface Recipe {
  batchSize: Choice<number>;
  epochs: Choice<number>;
  finetuneEpochs: number;
  widthMultiplier: Choice<number>;
  /** Per head, or none. */
  classWeights: Choice<Array<number[] | null> | 'none'>;
  balance: HeadBalance[];
}

/** Images per class of each head (labels as generate-txt writes them: -1 unknown, a binary head 0/1). */
export function headBalance(heads: HeadSpec[], labels: number[][]): HeadBalance[] {
  return heads.map((h, k) => {
    const binary = h.classes.length === 1;
    const n = binary ? 2 : h.classes.length;
    const counts = new Array<number>(n).fill(0);
    for (const l of labels) {
      const v = l[k]!;
      if (v >= 0 && v < n) counts[v]!++;
    }
    const named: [string, number][] = binary
      ? [
          [h.classes[0]!, counts[1]!],
          [`not ${h.classes[0]}`, counts[0]!],
        ]
      : h.classes.map((c, i) => [c, counts[i]!]);
    const present = counts.filter((c) => c > 0);
    const ratio = present.length < counts.length ? Infinity : Math.max(...present) / Math.min(...present);
    return { head: h.name, counts: named, ratio };
  });
}

/**
 * The head to stratify the split on: the one whose rarest class (among those with images) has the
 * fewest images, so that class keeps its share of val and test. Ties go to the first head.
 */
export function stratifyHead(heads: HeadSpec[], labels: number[][]): Choice<number> {
  const balance = headBalance(heads, labels);
  let best = 0;
  let rarest = Infinity;
  let name = '';
  balance.forEach((b, k) => {
    for (const [c, n] of b.counts) {
      if (n > 0 && n < rarest) [best, rarest, name] = [k, n, c];
    }
  });
  return {
    value: best,
    reason: `head ${heads[best]!.name}: its class ${name} (${rarest} images) is the rarest of any head, and stratifying keeps its share in val and test`,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** sklearn's 'balanced' weights in label order (a binary head: [weight of 0, weight of 1]). */
function balancedWeights(b: HeadBalance, binary: boolean): number[] {
  const counts = binary ? [b.counts[1]![1], b.counts[0]![1]] : b.counts.map(([, c]) => c);
  const n = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => (c === 0 ? 0 : round3(n / (counts.length * c))));
}

export function chooseRecipe(heads: HeadSpec[], labels: number[][], trainImages: number): Recipe {
  let batch = trainImages < 800 ? 16 : trainImages < 8000 ? 32 : 64;
  const base = batch;
  while (batch > 8 && trainImages / batch < 4) batch /= 2;
  const steps = Math.max(1, Math.ceil(trainImages / batch));
  const wanted = Math.ceil(TARGET_STEPS / steps);
  const epochs = Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, wanted));
  const n = labels.length;
  const width = n < 2000 ? 0.25 : n < 20000 ? 0.5 : 1;
  const balance = headBalance(heads, labels);
  const worst = balance.reduce((a, b) => (b.ratio > a.ratio ? b : a), balance[0]!);
  const weigh = worst.ratio >= IMBALANCE_RATIO;
  const ratioText = (r: number) => (Number.isFinite(r) ? r.toFixed(1) : 'a class without images');
  return {
    batchSize: {
      value: batch,
      reason: `${trainImages} training images: batch ${base} (16 under 800 images, 32 under 8000, else 64)${batch !== base ? `, halved to ${batch} so an epoch has at least 4 batches` : ''}`,
    },
    epochs: {
      value: epochs,
      reason: `from scratch a network needs a few thousand updates: ${TARGET_STEPS} / ${steps} batches an epoch = ${wanted} epochs${wanted !== epochs ? `, bounded to [${MIN_EPOCHS}, ${MAX_EPOCHS}]` : ''}; -S vars.epochs=N for a quicker first look`,
    },
    finetuneEpochs: Math.max(2, Math.ceil(epochs / 4)),
    widthMultiplier: {
      value: width,
      reason: `${n} images: width ${width} of ResNet-18 (0.25 under 2000 images, 0.5 under 20000, else 1; fewer images, fewer parameters to overfit)`,
    },
    classWeights: weigh
      ? {
          value: balance.map((b, k) =>
            b.ratio >= IMBALANCE_RATIO ? balancedWeights(b, heads[k]!.classes.length === 1) : null,
          ),
          reason: `head ${worst.head}: largest/smallest class ${ratioText(worst.ratio)} ≥ ${IMBALANCE_RATIO}, so n/(k·count) weights from the folder's counts for each such head, null for the others; numbers, as train computes balanced weights and re-sampling from a label file and this pipeline trains from TFRecords`,
        }
      : {
          value: 'none',
          reason: `largest/smallest class under ${IMBALANCE_RATIO} in every head; the most uneven is ${worst.head} at ${ratioText(worst.ratio)}`,
        },
    balance,
  };
}
