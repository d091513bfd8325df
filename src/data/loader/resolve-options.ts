/** The loader's options checked and their defaults applied, in one place. */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../errors.ts';
import { resolveAugment, type ResolvedAugment } from '../image/augment.ts';
import type { PixelSpec } from '../image/pipeline.ts';
import { DEFAULT_RESIZE, RESIZE_KERNELS } from '../image/resize.ts';
import type { LoaderOptions } from './create-loader.ts';

/** What one epoch needs, every default applied. */
export interface EpochConfig {
  heads: number;
  batchSize: number;
  /** 0 = source order; else the shuffle buffer's size. */
  shuffleSize: number;
  seed: number;
  /** Images decoded ahead of the consumer. */
  prefetch: number;
  dropRemainder: boolean;
  /** What each worker makes of an image. */
  spec: PixelSpec;
  /** The mixup strength; 0 = off. */
  mixup: number;
}

/** The config and the decode thread count; throws ConfigError naming the first bad option. */
export function resolveLoaderOptions(opts: LoaderOptions): EpochConfig & { workers: number } {
  if (!opts.labels === !opts.tfrecords) {
    throw new ConfigError('loader: give exactly one of `labels` (a label file) or `tfrecords` (shard paths)');
  }
  const heads = positiveInt('heads', opts.heads);
  const height = positiveInt('height', opts.height);
  const width = positiveInt('width', opts.width);
  const batchSize = positiveInt('batchSize', opts.batchSize);
  const spec = pixelSpec(opts, height, width);
  if (opts.balanced !== undefined) {
    if (!Number.isInteger(opts.balanced) || opts.balanced < 0 || opts.balanced >= heads) {
      throw new ConfigError(`loader: balanced must be a head index in [0, ${heads - 1}], received ${opts.balanced}`);
    }
    if (opts.tfrecords) throw new ConfigError('loader: balanced re-sampling needs a label file, not TFRecord shards');
  }
  return {
    heads,
    batchSize,
    shuffleSize:
      opts.shuffle === true ? 1024 : typeof opts.shuffle === 'number' ? Math.max(0, Math.floor(opts.shuffle)) : 0,
    seed: opts.seed ?? 0,
    workers: opts.workers ?? Math.min(2, availableParallelism()),
    prefetch: Math.max(1, opts.prefetch ?? Math.max(2 * batchSize, 8)),
    dropRemainder: opts.dropRemainder === true,
    spec,
    mixup: spec.augment && spec.augment.mixup > 0 ? spec.augment.mixup : 0,
  };
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`loader: ${name} must be a positive integer, received ${JSON.stringify(v)} (${typeof v})`);
  }
  return v;
}

/** Size, channels, channel order, resize kernel, scaling and augmentation of each image. */
function pixelSpec(opts: LoaderOptions, height: number, width: number): PixelSpec {
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new ConfigError(`loader: channels must be 1 or 3, received ${channels}`);
  const channelOrder = opts.channelOrder ?? 'rgb';
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new ConfigError(`loader: channelOrder must be 'rgb' or 'bgr', received ${JSON.stringify(channelOrder)}`);
  }
  const resize = opts.resize ?? DEFAULT_RESIZE;
  if (!RESIZE_KERNELS.includes(resize)) {
    throw new ConfigError(
      `loader: resize must be one of ${RESIZE_KERNELS.join(', ')}, received ${JSON.stringify(resize)}`,
    );
  }
  const augment: ResolvedAugment | null = opts.augment ? resolveAugment(opts.augment) : null;
  if (
    opts.meanStd &&
    (opts.meanStd.mean.length !== channels ||
      opts.meanStd.std.length !== channels ||
      opts.meanStd.std.some((s) => !(s > 0)))
  ) {
    throw new ConfigError(
      `loader: meanStd needs ${channels} means and ${channels} positive stds, received ${JSON.stringify(opts.meanStd)}`,
    );
  }
  return {
    height,
    width,
    channels,
    channelOrder,
    whiten: opts.whiten ?? true,
    ...(opts.meanStd ? { meanStd: opts.meanStd } : {}),
    resize,
    augment,
  };
}
