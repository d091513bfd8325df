/**
 * The streaming data loader used by train, evaluate and predict: label file (+ image root) or
 * TFRecord shards → batches of plain typed arrays (NHWC float32 images, int32 labels).
 *
 * Per epoch: records (paths + labels only) → optional class-balanced re-sampling → seeded shuffle
 * buffer → decode + resize + augment + standardize in worker threads, at most `prefetch` images in
 * flight → in-order batches. Memory is bounded by the shuffle buffer and the prefetch window, not
 * by the dataset size. Randomness is seeded by (seed, epoch), and each image's augmentation by
 * (seed, epoch, position), so a resumed run sees identical batches whatever the worker timing.
 *
 * Options and defaults: resolve-options.ts; one epoch: epoch.ts.
 */
import type { AugmentOptions } from '../image/augment.ts';
import type { MeanStd } from '../image/preprocessing.ts';
import type { ResizeKernel } from '../image/resize.ts';
import { epochBatches } from './epoch.ts';
import type { MixInfo } from './mixup.ts';
import { DecodePool } from './pool.ts';
import { resolveLoaderOptions } from './resolve-options.ts';
import { labelFileSource, tfRecordSource, type RecordSource } from './sources.ts';

export type { AugmentOptions } from '../image/augment.ts';
export type { MixInfo } from './mixup.ts';

export interface LoaderOptions {
  /** Label file (`<path> <l0> … <lK-1>` lines). One of `labels` or `tfrecords` is required. */
  labels?: string;
  /** Image root for relative paths in `labels`. Defaults to the label file's folder. */
  root?: string;
  /** TFRecord shards (as written by write-tfrecord) instead of a label file. */
  tfrecords?: string[];
  /** Label columns per line (number of heads). */
  heads: number;
  /** Output image height in pixels. */
  height: number;
  /** Output image width in pixels. */
  width: number;
  /** 1 = grey, 3 = RGB. Defaults to 3. */
  channels?: 1 | 3;
  /** Channel order of the output; the seed project fed BGR. Defaults to 'rgb'. */
  channelOrder?: 'rgb' | 'bgr';
  /** Resize kernel to the model's height×width (src/data/image/resize.ts). Defaults to bilinear (antialiased). */
  resize?: ResizeKernel;
  /** Images per batch. */
  batchSize: number;
  /** Shuffle: false/0 = source order; otherwise a label file is fully permuted each epoch and TFRecord shards go through a buffer of true = 1024 / that many records. Defaults to false. */
  shuffle?: boolean | number;
  /** Seed of shuffling, re-sampling and augmentation. Defaults to 0. */
  seed?: number;
  /** Augmentation (see AugmentOptions for each default), or false for none. Defaults to false. */
  augment?: AugmentOptions | false;
  /** Per-image standardization (tf.image.per_image_standardization); false = x/255 in [0,1]. Defaults to true. */
  whiten?: boolean;
  /** Per-channel (x − mean) / std on [0,1] RGB pixels, instead of `whiten` (pretrained backbones). Defaults to none. */
  meanStd?: MeanStd;
  /** Decode threads; 0 decodes on the calling thread. Defaults to min(2, CPU count). */
  workers?: number;
  /** Drop the last batch when it is smaller than batchSize. Defaults to false. */
  dropRemainder?: boolean;
  /** Head index to class-balance on (label files only): each epoch draws `count` records with every class equally likely. Defaults to off. */
  balanced?: number;
  /** Images decoded ahead of the consumer. Defaults to max(2·batchSize, 8). */
  prefetch?: number;
}

export interface Batch {
  /** N·H·W·C float32, NHWC. */
  images: Float32Array;
  /** N·heads int32, -1 = unknown. */
  labels: Int32Array;
  /** Image paths as written in the label file (or image/filename). */
  paths: string[];
  /** N, the number of images in this batch. */
  size: number;
  /** Present only when mixup is on: partner labels and per-image weight (see loader/mixup.ts). */
  mix?: MixInfo;
}

export interface Loader {
  /** Images per epoch. */
  readonly count: number;
  /** One pass over the data; `e` seeds shuffle and augmentation. */
  epoch(e: number): AsyncIterable<Batch>;
  /** Stops the decode threads. */
  close(): Promise<void>;
}

/** Opens the source and the decode threads; see the module comment. Throws ConfigError naming a bad option. */
export async function createLoader(opts: LoaderOptions): Promise<Loader> {
  const cfg = resolveLoaderOptions(opts);
  const source: RecordSource = opts.labels
    ? await labelFileSource(opts.labels, opts.root, cfg.heads, opts.balanced)
    : await tfRecordSource(opts.tfrecords!, cfg.heads);
  const pool = new DecodePool(cfg.workers);
  return {
    count: source.count,
    epoch: (e: number) => epochBatches(source, pool, cfg, e),
    close: () => pool.close(),
  };
}
