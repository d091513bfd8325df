/**
 * Accuracy of a model on a labelled split in one pass: per head (argmax, or p ≥ 0.5 for a binary
 * head; -1 labels left out) and all heads right at once. The prune and convert stages use it to
 * put numbers before and after a change side by side; the evaluate stage writes the full report.
 */
import type { tf as TF } from '../engine/tf.ts';
import type { Loader } from '../data/loader/create-loader.ts';
import { headUnits, type HeadSpec } from '../data/heads.ts';
import { loaderInputOptions, type InputConfig } from '../model/io.ts';
import { inferAll, type Inference } from '../predict/loader-inference.ts';
import { accuracy, allHeadsAccuracy, headPrediction, labelColumn } from './metrics/categorical.ts';

export interface HeadAccuracies {
  /** Images scored. */
  samples: number;
  /** Share of images whose every known head is right (null without known labels). */
  allHeads: number | null;
  /** Accuracy per head name. */
  heads: Record<string, number | null>;
}

/** Accuracies of the probabilities in `inf`. */
export function headAccuracies(inf: Pick<Inference, 'probs' | 'labels'>, heads: HeadSpec[]): HeadAccuracies {
  const preds = heads.map((h, i) => headPrediction(inf.probs[i]!, headUnits(h)).pred);
  const labels = heads.map((_, i) => labelColumn(inf.labels, heads.length, i));
  return {
    samples: labels[0]?.length ?? 0,
    allHeads: allHeadsAccuracy(preds, labels).accuracy,
    heads: Object.fromEntries(heads.map((h, i) => [h.name, accuracy(preds[i]!, labels[i]!).accuracy])),
  };
}

export interface SplitOptions {
  /** Label file of the split (or `tfrecords`). */
  labels?: string;
  /** TFRecord shards or folders of them, instead of `labels`. */
  tfrecords?: string[];
  /** Image root for relative paths in `labels`. Defaults to the label file's folder. */
  root?: string;
  /** Images per batch. Defaults to 32. */
  batchSize?: number;
}

/** Opens the split with `input`'s preprocessing (no shuffle, no augmentation). */
export async function splitLoader(heads: HeadSpec[], input: InputConfig, split: SplitOptions): Promise<Loader> {
  const { createLoader } = await import('../data/loader/create-loader.ts');
  return createLoader({
    labels: split.tfrecords?.length ? undefined : split.labels,
    tfrecords: split.tfrecords?.length ? split.tfrecords : undefined,
    root: split.root,
    heads: heads.length,
    ...loaderInputOptions(input),
    batchSize: split.batchSize ?? 32,
    shuffle: false,
    augment: false,
  });
}

/** Runs `model` over the split and scores it. tf must have a backend. */
export async function accuracyOnSplit(
  model: TF.LayersModel,
  heads: HeadSpec[],
  input: InputConfig,
  split: SplitOptions,
): Promise<HeadAccuracies & { inference: Inference }> {
  const loader = await splitLoader(heads, input, split);
  try {
    const inference = await inferAll(model, heads, loader, {
      height: input.height,
      width: input.width,
      channels: input.channels ?? 3,
    });
    return { ...headAccuracies(inference, heads), inference };
  } finally {
    await loader.close();
  }
}
