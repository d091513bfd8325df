/**
 * train()'s data steps: the classes and label files with their pre-flight, the input (preprocessing)
 * of the run, and the train/val loaders.
 */
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import { ConfigError } from '../errors.ts';
import { createLoader, type Loader } from '../data/loader/create-loader.ts';
import { readLabelFile, type LabelRecord } from '../data/labels.ts';
import { readClassesFile, type HeadSpec } from '../data/heads.ts';
import { preflightSplits } from '../data/check/preflight.ts';
import type { MeanStd } from '../data/image/preprocessing.ts';
import type { InputConfig } from '../model/io.ts';

/** ImageNet's per-channel statistics (RGB, on [0,1] pixels): what torchvision's and timm's ImageNet weights expect. */
export const IMAGENET_MEAN_STD = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** The heads and label files of a run; `trainRecords` when the train set is a label file (not TFRecords). */
export interface TrainSplits {
  heads: HeadSpec[];
  trainLabels: string | undefined;
  valLabels: string | undefined;
  trainRecords: LabelRecord[] | undefined;
}

/**
 * Reads classes.json and the train label file, and runs the pre-flight on the label files, before the
 * engine starts: data that cannot train is refused (exit 2, nothing recorded).
 */
export async function readSplits(p: TrainOptions, ctx: TrainIO): Promise<TrainSplits> {
  const { heads } = await readClassesFile(ctx.path(p.classes));
  const trainLabels = p.train_tfrecords.length ? undefined : ctx.path(p.train_labels);
  const valLabels = p.val_tfrecords.length ? undefined : p.val_labels ? ctx.path(p.val_labels) : undefined;
  // The train label file's records: read once, for the pre-flight and for balanced class weights.
  const trainRecords = trainLabels ? await readLabelFile(trainLabels, heads) : undefined;
  if (trainRecords) {
    // Pre-flight, before the engine starts: data that cannot train is refused (exit 2, nothing recorded).
    const split = async (name: string, file: string, abs: string) => ({
      name,
      file,
      records: await readLabelFile(abs, heads),
    });
    const warnings = preflightSplits(
      heads,
      { name: 'train', file: p.train_labels, records: trainRecords },
      valLabels ? [await split('val', p.val_labels, valLabels)] : [],
    );
    for (const w of warnings) ctx.log(`warning: ${w}`);
  }
  return { heads, trainLabels, valLabels, trainRecords };
}

/** The mean/std normalisation of this run: `mean`/`std` as given, ImageNet's for `pretrained` when not given, else none. */
function resolveMeanStd(p: TrainOptions): MeanStd | undefined {
  if (p.mean.length || p.std.length) {
    if (p.mean.length !== p.channels || p.std.length !== p.channels) {
      throw new ConfigError(
        `mean and std need ${p.channels} values each (one per channel), received mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`,
        {
          hint: `e.g. mean: [${IMAGENET_MEAN_STD.mean.join(', ')}], std: [${IMAGENET_MEAN_STD.std.join(', ')}]`,
        },
      );
    }
    return { mean: [...p.mean], std: [...p.std] };
  }
  return p.pretrained && p.channels === 3
    ? { mean: [...IMAGENET_MEAN_STD.mean], std: [...IMAGENET_MEAN_STD.std] }
    : undefined;
}

/** The model input of this run (size, channels, preprocessing); logs the mean/std normalisation when there is one. */
export function resolveInput(p: TrainOptions, ctx: TrainIO): InputConfig {
  const meanStd = resolveMeanStd(p);
  const input: InputConfig = {
    height: p.height,
    width: p.width,
    channels: p.channels,
    channelOrder: p.channel_order,
    whiten: meanStd ? false : p.whiten,
    resize: p.resize,
    ...(meanStd ? { meanStd } : {}),
  };
  if (meanStd)
    ctx.log(
      `preprocessing: x/255, then (x − mean) / std per channel, mean [${meanStd.mean.join(', ')}], std [${meanStd.std.join(', ')}]${p.whiten && !p.mean.length ? ' (the pretrained weights’ ImageNet statistics; per-image whitening off)' : ''}`,
    );
  return input;
}

/**
 * The train loader and, on the lead rank when the run has a val set, the val loader. Each is pushed
 * onto `loaders` as soon as it opens, so the caller closes it whatever fails next.
 */
export async function openLoaders(
  p: TrainOptions,
  ctx: TrainIO,
  splits: TrainSplits,
  input: InputConfig,
  lead: boolean,
  loaders: Loader[],
): Promise<{ train: Loader; val: Loader | undefined }> {
  const { heads, trainLabels, valLabels } = splits;
  const common = { heads: heads.length, ...input, batchSize: p.batch_size, seed: p.seed };
  const train = await createLoader({
    ...common,
    labels: trainLabels,
    tfrecords: p.train_tfrecords.length ? p.train_tfrecords.map((f) => ctx.path(f)) : undefined,
    root: p.root ? ctx.path(p.root) : undefined,
    shuffle: p.shuffle,
    augment: p.augment === false ? false : p.augment,
    balanced: p.balanced >= 0 ? p.balanced : undefined,
  });
  loaders.push(train);
  let val: Loader | undefined;
  if (lead && (valLabels || p.val_tfrecords.length)) {
    val = await createLoader({
      ...common,
      labels: valLabels,
      tfrecords: p.val_tfrecords.length ? p.val_tfrecords.map((f) => ctx.path(f)) : undefined,
      root: p.root ? ctx.path(p.root) : undefined,
      shuffle: false,
      augment: false,
    });
    loaders.push(val);
  }
  ctx.log(
    `train ${train.count} images${val ? `, val ${val.count}` : ''}; heads ${heads.map((h) => `${h.name}(${h.classes.length})`).join(', ')}`,
  );
  return { train, val };
}
