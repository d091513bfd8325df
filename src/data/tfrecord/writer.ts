/**
 * Writes image records as sharded TFRecord files `<split>-00000-of-0000N.tfrecord`. Reading the file
 * bytes and probing format/size run in parallel through a bounded promise pool; records are
 * written in input order (so output bytes are deterministic), in chunks of about 1 MiB.
 *
 * Format and size come from the file header via `image-size` (pure JS, no decode); formats it
 * does not know fall back to sharp's metadata. Height/width are as stored (EXIF not applied), as
 * TensorFlow's own converters record them.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageSize } from 'image-size';
import sharp from 'sharp';
import { DataError } from '../../errors.ts';
import { encodeImageExample } from './example.ts';
import { frameRecord } from './framing.ts';

export interface TfRecordInput {
  /** Absolute (or cwd-relative) path to read. */
  path: string;
  /** Name stored in image/filename (usually the path as written in the label file). */
  filename: string;
  labels: number[];
  /** Label-file line, for error messages. */
  line?: number;
}

export interface WriteShardsOptions {
  /** Output folder (created). */
  outDir: string;
  /** File-name prefix, e.g. `train`. */
  split: string;
  /** Records per shard. Defaults to 1024. */
  shardSize?: number;
  /** Files read + probed at once. Defaults to 8. */
  concurrency?: number;
  /** Called after each record with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Label file the records came from, for error messages. */
  source?: string;
  /** Stops the write between records when aborted. Defaults to none. */
  signal?: AbortSignal;
}

export interface WriteShardsResult {
  files: string[];
  records: number;
  bytes: number;
}

/** Shard file name, `train-00003-of-00008.tfrecord`. */
export function shardName(split: string, index: number, total: number): string {
  return `${split}-${String(index).padStart(5, '0')}-of-${String(total).padStart(5, '0')}.tfrecord`;
}

export async function writeTfRecordShards(
  items: TfRecordInput[],
  options: WriteShardsOptions,
): Promise<WriteShardsResult> {
  const shardSize = options.shardSize ?? 1024;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw new RangeError(`shardSize must be a positive integer, received ${shardSize}`);
  if (items.length === 0) {
    // An empty shard would be read back as "no data" at train time: say so here, where the cause is.
    throw new DataError(
      'no records to write: the label file lists no images',
      { file: options.source },
      { hint: "check that the label file (e.g. check-labels' clean.txt) has lines" },
    );
  }
  await mkdir(options.outDir, { recursive: true });
  const shards = Math.ceil(items.length / shardSize);
  const files = Array.from({ length: shards }, (_, i) => join(options.outDir, shardName(options.split, i, shards)));
  const nextRecord = orderedEncodes(items, concurrency, (item) => encodeImageFile(item, options.source));
  let bytes = 0;
  let done = 0;
  for (let s = 0; s < shards; s++) {
    const records = Math.min(items.length, (s + 1) * shardSize) - done;
    await writeShard(files[s]!, records, nextRecord, options.signal, (recordBytes) => {
      bytes += recordBytes;
      done++;
      options.onProgress?.(done, items.length);
    });
  }
  return { files, records: items.length, bytes };
}

/** One image file as a framed tf.train.Example record; a file that cannot be read names its label-file line. */
async function encodeImageFile(item: TfRecordInput, source: string | undefined): Promise<Uint8Array> {
  let bytes: Buffer;
  let meta: { format?: string; width?: number; height?: number };
  try {
    bytes = await readFile(item.path);
    meta = probe(bytes) ?? (await sharp(bytes).metadata());
  } catch (err) {
    throw new DataError(
      `cannot read image ${item.path}: ${(err as Error).message}`,
      { file: source, line: item.line },
      {
        cause: err,
        hint: 'run check-labels first and write TFRecords from its clean.txt',
      },
    );
  }
  return frameRecord(
    encodeImageExample({
      encoded: bytes,
      format: meta.format ?? 'unknown',
      height: meta.height ?? 0,
      width: meta.width ?? 0,
      filename: item.filename,
      labels: item.labels,
    }),
  );
}

/**
 * Ordered, bounded pipeline: each call of the returned function keeps `concurrency` encodes in flight
 * and gives the next record in input order.
 */
function orderedEncodes(
  items: TfRecordInput[],
  concurrency: number,
  encode: (item: TfRecordInput) => Promise<Uint8Array>,
): () => Promise<Uint8Array> {
  const inflight: Promise<Uint8Array>[] = [];
  let next = 0;
  return () => {
    while (inflight.length < concurrency && next < items.length) {
      const p = encode(items[next++]!);
      p.catch(() => {});
      inflight.push(p);
    }
    return inflight.shift()!;
  };
}

/** Writes the next `records` records into `file`, in chunks of about WRITE_CHUNK bytes; `onRecord` after each. */
async function writeShard(
  file: string,
  records: number,
  nextRecord: () => Promise<Uint8Array>,
  signal: AbortSignal | undefined,
  onRecord: (bytes: number) => void,
): Promise<void> {
  const fh = await open(file, 'w');
  try {
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length) await fh.writev(chunk);
      chunk = [];
      chunkBytes = 0;
    };
    for (let i = 0; i < records; i++) {
      signal?.throwIfAborted();
      const rec = await nextRecord();
      chunk.push(rec);
      chunkBytes += rec.length;
      if (chunkBytes >= WRITE_CHUNK) await flush();
      onRecord(rec.length);
    }
    await flush();
  } finally {
    await fh.close();
  }
}

const WRITE_CHUNK = 1 << 20;

/** image-size type names → sharp/TensorFlow format names. */
const FORMAT_NAMES: Record<string, string> = {
  jpg: 'jpeg',
  tiff: 'tiff',
  png: 'png',
  gif: 'gif',
  bmp: 'bmp',
  webp: 'webp',
};

/** Header-only probe; undefined when image-size does not know the format. */
function probe(bytes: Uint8Array): { format: string; width: number; height: number } | undefined {
  try {
    const r = imageSize(bytes);
    if (!r.type || !r.width || !r.height) return undefined;
    return { format: FORMAT_NAMES[r.type] ?? r.type, width: r.width, height: r.height };
  } catch {
    return undefined;
  }
}
