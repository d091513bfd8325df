/**
 * The streaming data loader used by train, evaluate and predict: label file (+ image root) or
 * TFRecord shards → batches of plain typed arrays (NHWC float32 images, int32 labels).
 *
 * Per epoch: records (paths + labels only) → optional class-balanced re-sampling → seeded shuffle
 * buffer → decode + resize + augment + standardize in worker threads, at most `prefetch` images in
 * flight → in-order batches. Memory is bounded by the shuffle buffer and the prefetch window, not
 * by the dataset size. Randomness is seeded by (seed, epoch), and each image's augmentation by
 * (seed, epoch, position), so a resumed run sees identical batches whatever the worker timing.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, DataError } from '../../errors.ts';
import { resolveAugment, type AugmentOptions } from '../image/augment.ts';
import type { PixelSpec } from '../image/pipeline.ts';
import type { MeanStd } from '../image/preprocessing.ts';
import { DEFAULT_RESIZE, RESIZE_KERNELS, type ResizeKernel } from '../image/resize.ts';
import { mixBatch, type MixInfo } from './mixup.ts';
import { DecodePool } from './pool.ts';
import { labelFileSource, shuffleBuffer, tfRecordSource, type RecordSource, type SourceItem } from './sources.ts';
import { createRng, mixSeed } from '../rng.ts';

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

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`loader: ${name} must be a positive integer, received ${JSON.stringify(v)} (${typeof v})`);
  }
  return v;
}

export async function createLoader(opts: LoaderOptions): Promise<Loader> {
  if (!opts.labels === !opts.tfrecords) {
    throw new ConfigError('loader: give exactly one of `labels` (a label file) or `tfrecords` (shard paths)');
  }
  const heads = positiveInt('heads', opts.heads);
  const height = positiveInt('height', opts.height);
  const width = positiveInt('width', opts.width);
  const batchSize = positiveInt('batchSize', opts.batchSize);
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new ConfigError(`loader: channels must be 1 or 3, received ${channels}`);
  const channelOrder = opts.channelOrder ?? 'rgb';
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new ConfigError(`loader: channelOrder must be 'rgb' or 'bgr', received ${JSON.stringify(channelOrder)}`);
  }
  const resize = opts.resize ?? DEFAULT_RESIZE;
  if (!RESIZE_KERNELS.includes(resize)) {
    throw new ConfigError(`loader: resize must be one of ${RESIZE_KERNELS.join(', ')}, received ${JSON.stringify(resize)}`);
  }
  const shuffleSize = opts.shuffle === true ? 1024 : typeof opts.shuffle === 'number' ? Math.max(0, Math.floor(opts.shuffle)) : 0;
  const seed = opts.seed ?? 0;
  const workers = opts.workers ?? Math.min(2, availableParallelism());
  const prefetch = Math.max(1, opts.prefetch ?? Math.max(2 * batchSize, 8));
  const augment = opts.augment ? resolveAugment(opts.augment) : null;
  if (opts.meanStd && (opts.meanStd.mean.length !== channels || opts.meanStd.std.length !== channels || opts.meanStd.std.some((s) => !(s > 0)))) {
    throw new ConfigError(`loader: meanStd needs ${channels} means and ${channels} positive stds, received ${JSON.stringify(opts.meanStd)}`);
  }
  const spec: PixelSpec = { height, width, channels, channelOrder, whiten: opts.whiten ?? true, ...(opts.meanStd ? { meanStd: opts.meanStd } : {}), resize, augment };
  if (opts.balanced !== undefined) {
    if (!Number.isInteger(opts.balanced) || opts.balanced < 0 || opts.balanced >= heads) {
      throw new ConfigError(`loader: balanced must be a head index in [0, ${heads - 1}], received ${opts.balanced}`);
    }
    if (opts.tfrecords) throw new ConfigError('loader: balanced re-sampling needs a label file, not TFRecord shards');
  }

  const source: RecordSource = opts.labels
    ? await labelFileSource(opts.labels, opts.root, heads, opts.balanced)
    : await tfRecordSource(opts.tfrecords!, heads);
  const pool = new DecodePool(workers);
  const pixels = height * width * channels;

  async function* epoch(e: number): AsyncGenerator<Batch> {
    const rng = createRng(mixSeed(seed, e, 1));
    let items: AsyncIterable<SourceItem> = source.items(rng, shuffleSize > 0);
    // A label file's records are all in memory: shuffle them all (a uniform permutation per epoch, as
    // PyTorch's randperm), not through a window of `shuffle` items that keeps a sorted file's tail at the
    // end of every epoch (#29). TFRecord streams keep the bounded buffer.
    if (shuffleSize > 0) items = shuffleBuffer(items, source.inMemory ? Math.max(shuffleSize, source.count) : shuffleSize, rng);

    type Done = { item: SourceItem; pixels: Float32Array };
    const window: Promise<Done>[] = [];
    const iterator = items[Symbol.asyncIterator]();
    let position = 0;
    let exhausted = false;
    const fill = async (): Promise<void> => {
      while (!exhausted && window.length < prefetch) {
        const r = await iterator.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const item = r.value;
        const p = pool.run(item.input, spec, mixSeed(seed, e, 2, position++)).then(
          (px) => ({ item, pixels: px }),
          (err: unknown) => {
            throw new DataError(`cannot decode image ${item.path}: ${(err as Error).message}`, item.where, {
              cause: err,
              hint: 'run the check-labels stage and train on its clean.txt',
            });
          },
        );
        p.catch(() => {});
        window.push(p);
      }
    };

    const mixRng = createRng(mixSeed(seed, e, 3));
    try {
      for (;;) {
        const batch: Done[] = [];
        while (batch.length < batchSize) {
          await fill();
          const next = window.shift();
          if (!next) break;
          batch.push(await next);
        }
        if (batch.length === 0 || (opts.dropRemainder && batch.length < batchSize)) return;
        const n = batch.length;
        const images = new Float32Array(n * pixels);
        const labels = new Int32Array(n * heads);
        batch.forEach((d, i) => {
          images.set(d.pixels, i * pixels);
          labels.set(d.item.labels, i * heads);
        });
        const out: Batch = { images, labels, paths: batch.map((d) => d.item.path), size: n };
        if (augment && augment.mixup > 0) out.mix = mixBatch(images, labels, n, heads, augment.mixup, mixRng);
        yield out;
        if (n < batchSize) return;
      }
    } finally {
      await iterator.return?.();
    }
  }

  return {
    count: source.count,
    epoch: (e: number) => epoch(e),
    close: () => pool.close(),
  };
}
