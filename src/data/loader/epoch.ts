/**
 * One epoch of the loader: the source's records (shuffled when asked), decoded by the pool at most
 * `prefetch` ahead, gathered in order into batches, with mixup partners when mixup is on.
 */
import { DataError } from '../../errors.ts';
import { createRng, mixSeed } from '../rng.ts';
import type { Batch } from './create-loader.ts';
import { mixBatch } from './mixup.ts';
import type { DecodePool } from './pool.ts';
import type { EpochConfig } from './resolve-options.ts';
import { shuffleBuffer, type RecordSource, type SourceItem } from './sources.ts';

type Decoded = { item: SourceItem; pixels: Float32Array };

/** Decodes the records of `items` ahead of the consumer, at most `cfg.prefetch` in flight, in order. */
class DecodeWindow {
  private readonly window: Promise<Decoded>[] = [];
  private position = 0;
  private exhausted = false;

  constructor(
    readonly iterator: AsyncIterator<SourceItem>,
    private readonly pool: DecodePool,
    private readonly cfg: EpochConfig,
    private readonly epoch: number,
  ) {}

  /** The next decoded record, or undefined when the records are exhausted. */
  async next(): Promise<Decoded | undefined> {
    await this.fill();
    const next = this.window.shift();
    return next && (await next);
  }

  private async fill(): Promise<void> {
    while (!this.exhausted && this.window.length < this.cfg.prefetch) {
      const r = await this.iterator.next();
      if (r.done) {
        this.exhausted = true;
        break;
      }
      const item = r.value;
      const p = this.pool.run(item.input, this.cfg.spec, mixSeed(this.cfg.seed, this.epoch, 2, this.position++)).then(
        (px) => ({ item, pixels: px }),
        (err: unknown) => {
          throw new DataError(`cannot decode image ${item.path}: ${(err as Error).message}`, item.where, {
            cause: err,
            hint: 'run the check-labels stage and train on its clean.txt',
          });
        },
      );
      p.catch(() => {});
      this.window.push(p);
    }
  }
}

/** The records of epoch `e` in their order: source order, or shuffled by (seed, e). */
function epochItems(
  source: RecordSource,
  cfg: EpochConfig,
  rng: ReturnType<typeof createRng>,
): AsyncIterable<SourceItem> {
  const items = source.items(rng, cfg.shuffleSize > 0);
  // A label file's records are all in memory: shuffle them all (a uniform permutation per epoch, as
  // PyTorch's randperm), not through a window of `shuffle` items that keeps a sorted file's tail at the
  // end of every epoch (#29). TFRecord streams keep the bounded buffer.
  if (cfg.shuffleSize > 0)
    return shuffleBuffer(items, source.inMemory ? Math.max(cfg.shuffleSize, source.count) : cfg.shuffleSize, rng);
  return items;
}

/** Decoded records gathered into one batch of typed arrays. */
function assembleBatch(batch: readonly Decoded[], cfg: EpochConfig): Batch {
  const n = batch.length;
  const pixels = cfg.spec.height * cfg.spec.width * cfg.spec.channels;
  const images = new Float32Array(n * pixels);
  const labels = new Int32Array(n * cfg.heads);
  batch.forEach((d, i) => {
    images.set(d.pixels, i * pixels);
    labels.set(d.item.labels, i * cfg.heads);
  });
  return { images, labels, paths: batch.map((d) => d.item.path), size: n };
}

/** The batches of epoch `e`; the last may be short unless `dropRemainder`. */
export async function* epochBatches(
  source: RecordSource,
  pool: DecodePool,
  cfg: EpochConfig,
  e: number,
): AsyncGenerator<Batch> {
  const rng = createRng(mixSeed(cfg.seed, e, 1));
  const window = new DecodeWindow(epochItems(source, cfg, rng)[Symbol.asyncIterator](), pool, cfg, e);
  const mixRng = createRng(mixSeed(cfg.seed, e, 3));
  try {
    for (;;) {
      const batch: Decoded[] = [];
      while (batch.length < cfg.batchSize) {
        const next = await window.next();
        if (!next) break;
        batch.push(next);
      }
      if (batch.length === 0 || (cfg.dropRemainder && batch.length < cfg.batchSize)) return;
      const out = assembleBatch(batch, cfg);
      if (cfg.mixup > 0) out.mix = mixBatch(out.images, out.labels, out.size, cfg.heads, cfg.mixup, mixRng);
      yield out;
      if (out.size < cfg.batchSize) return;
    }
  } finally {
    await window.iterator.return?.();
  }
}
