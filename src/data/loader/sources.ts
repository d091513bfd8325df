/**
 * Where the loader's records come from, as a per-epoch stream of `SourceItem`s (path or encoded
 * bytes + labels). Only labels and paths are held in memory; pixels are decoded later, batch by batch.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DataError } from '../../errors.ts';
import { readLabelFile, type LabelRecord } from '../labels.ts';
import { decodeImageExample } from '../tfrecord/example.ts';
import { countRecords, readRecords } from '../tfrecord/framing.ts';
import { createRng, shuffleInPlace, type Rng } from '../rng.ts';

export interface SourceItem {
  /** File path to decode, or the encoded image bytes (TFRecord). */
  input: string | Uint8Array;
  /** Path as named by the label file / image/filename. */
  path: string;
  labels: number[];
  /** Where the record came from, for error messages. */
  where: { file: string; line?: number };
}

export interface RecordSource {
  readonly count: number;
  /** Every record is known up front (a label file): a shuffle permutes them all, whatever the buffer size. */
  readonly inMemory?: boolean;
  /** The records of one epoch, in source order (or re-sampled when balanced). */
  items(rng: Rng, shuffleShards: boolean): AsyncIterable<SourceItem>;
}

/** Label-file source; `balanced` re-samples each epoch so every class of that head is equally likely. */
export async function labelFileSource(
  file: string,
  root: string | undefined,
  heads: number,
  balanced?: number,
): Promise<RecordSource> {
  const records = await readLabelFile(file, heads);
  const base = root ?? dirname(file);
  const toItem = (r: LabelRecord): SourceItem => ({
    input: isAbsolute(r.path) ? r.path : resolve(base, r.path),
    path: r.path,
    labels: r.labels,
    where: { file, line: r.line },
  });
  let groups: LabelRecord[][] | undefined;
  if (balanced !== undefined) {
    const byClass = new Map<number, LabelRecord[]>();
    for (const r of records) {
      const c = r.labels[balanced]!;
      if (c < 0) continue;
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)!.push(r);
    }
    if (byClass.size === 0) {
      throw new DataError(
        `balanced: head ${balanced} has no known labels to balance on`,
        { file },
        {
          hint: 'pick a head with labels other than -1, or drop `balanced`',
        },
      );
    }
    groups = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  }
  return {
    count: records.length,
    inMemory: true,
    async *items(rng: Rng) {
      if (!groups) {
        for (const r of records) yield toItem(r);
        return;
      }
      for (let i = 0; i < records.length; i++) {
        const g = groups[rng.int(groups.length)]!;
        yield toItem(g[rng.int(g.length)]!);
      }
    },
  };
}

/** TFRecord shards (read sequentially, one at a time; shard order shuffled per epoch when asked). */
/**
 * Shard list with folders expanded: a folder stands for its `*.tfrecord` files in name order (what
 * write-tfrecord produces), so a pipeline can name the folder without knowing the shard count.
 */
export async function expandShards(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (!(await stat(p)).isDirectory()) {
      out.push(p);
      continue;
    }
    const shards = (await readdir(p)).filter((n) => n.endsWith('.tfrecord')).sort();
    if (shards.length === 0)
      throw new DataError(
        'folder holds no *.tfrecord shards',
        { file: p },
        { hint: 'point at the write-tfrecord output folder or list the shard files' },
      );
    out.push(...shards.map((n) => join(p, n)));
  }
  return out;
}

export async function tfRecordSource(paths: string[], heads: number): Promise<RecordSource> {
  const files = await expandShards(paths);
  let count = 0;
  for (const f of files) count += await countRecords(f);
  return {
    count,
    async *items(rng: Rng, shuffleShards: boolean) {
      const order = shuffleShards ? shuffleInPlace([...files], rng) : files;
      for (const file of order) {
        for await (const rec of readRecords(file)) {
          let ex;
          try {
            ex = decodeImageExample(rec.data);
          } catch (err) {
            throw new DataError(
              `record at byte offset ${rec.offset} is not an image Example: ${(err as Error).message}`,
              { file },
              { cause: err },
            );
          }
          if (ex.labels.length !== heads) {
            throw new DataError(
              `record at byte offset ${rec.offset} (${ex.filename}) has ${ex.labels.length} labels, expected ${heads}`,
              { file },
              {
                hint: 'the shards were written for another head count; set `heads` to match or rewrite them',
              },
            );
          }
          yield { input: ex.encoded, path: ex.filename, labels: ex.labels, where: { file } };
        }
      }
    },
  };
}

/** tf.data-style shuffle buffer: keeps `size` items, emits a random one as each new item arrives. */
export async function* shuffleBuffer<T>(source: AsyncIterable<T>, size: number, rng: Rng): AsyncGenerator<T> {
  const buf: T[] = [];
  for await (const item of source) {
    if (buf.length < size) {
      buf.push(item);
      continue;
    }
    const j = rng.int(size);
    const out = buf[j]!;
    buf[j] = item;
    yield out;
  }
  shuffleInPlace(buf, rng);
  yield* buf;
}

export { createRng };
