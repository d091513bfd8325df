/**
 * TFRecord framing (tensorflow/core/lib/io/record_writer.cc):
 *   uint64 length (little-endian) | uint32 masked CRC32C(length bytes) | data | uint32 masked CRC32C(data)
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DataError } from '../../errors.ts';
import { maskedCrc32c } from './crc.ts';

/** Bytes of one framed record. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** One record read back, with the byte offset of its header in the shard. */
export interface RawRecord {
  data: Uint8Array;
  offset: number;
}

const CHUNK = 1 << 20;

/** Buffered sequential reader over a file handle. */
class ChunkReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private fileOffset = 0;
  constructor(private readonly fh: FileHandle) {}

  /** Absolute file offset of the next unread byte. */
  get position(): number {
    return this.fileOffset - (this.buf.length - this.start);
  }

  /** Returns exactly n bytes, or fewer at end of file. The view is valid until the next call. */
  async take(n: number): Promise<Uint8Array> {
    while (this.buf.length - this.start < n) {
      const want = Math.max(CHUNK, n - (this.buf.length - this.start));
      const chunk = new Uint8Array(want);
      const { bytesRead } = await this.fh.read(chunk, 0, want, this.fileOffset);
      if (bytesRead === 0) break;
      this.fileOffset += bytesRead;
      const rest = this.buf.subarray(this.start);
      const merged = new Uint8Array(rest.length + bytesRead);
      merged.set(rest);
      merged.set(chunk.subarray(0, bytesRead), rest.length);
      this.buf = merged;
      this.start = 0;
    }
    const end = Math.min(this.start + n, this.buf.length);
    const out = this.buf.subarray(this.start, end);
    this.start = end;
    return out;
  }
}

function corrupt(file: string, offset: number, what: string): DataError {
  return new DataError(
    `corrupt TFRecord at byte offset ${offset}: ${what}`,
    { file },
    {
      hint: 'the shard is damaged or not a TFRecord file; rewrite it with the write-tfrecord stage',
    },
  );
}

/** A shard of 0 bytes: never written by write-tfrecord (it refuses an empty dataset), so a truncated copy or a stray file. */
function emptyShard(file: string): DataError {
  return new DataError(
    'empty TFRecord shard (0 bytes): it holds no records',
    { file },
    {
      hint: 'the shard was truncated or is not a TFRecord file; rewrite it with the write-tfrecord stage, or remove it from the list',
    },
  );
}

/** Opens a shard for reading; a failure is a DataError naming the shard. */
async function openShard(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    throw new DataError(`cannot open TFRecord shard: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/**
 * Reads every record of a shard, verifying both CRCs. Throws a DataError naming the shard and the
 * byte offset of the first bad record.
 */
export async function* readRecords(file: string): AsyncGenerator<RawRecord> {
  const fh = await openShard(file);
  try {
    const r = new ChunkReader(fh);
    for (;;) {
      const offset = r.position;
      const head = await r.take(12);
      if (head.length === 0 && offset === 0) throw emptyShard(file);
      if (head.length === 0) return;
      if (head.length < 12) throw corrupt(file, offset, `truncated header (${head.length} of 12 bytes)`);
      const view = new DataView(head.buffer, head.byteOffset, 12);
      const stored = view.getUint32(8, true);
      const computed = maskedCrc32c(head.subarray(0, 8));
      if (stored !== computed) {
        throw corrupt(file, offset, `length CRC mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`);
      }
      const len = Number(view.getBigUint64(0, true));
      const body = await r.take(len + 4);
      if (body.length < len + 4) throw corrupt(file, offset, `truncated record (${body.length} of ${len + 4} bytes)`);
      const data = body.subarray(0, len);
      const storedData = new DataView(body.buffer, body.byteOffset + len, 4).getUint32(0, true);
      const computedData = maskedCrc32c(data);
      if (storedData !== computedData) {
        throw corrupt(file, offset, `data CRC mismatch (stored 0x${hex(storedData)}, computed 0x${hex(computedData)})`);
      }
      yield { data: data.slice(), offset };
    }
  } finally {
    await fh.close();
  }
}

/**
 * Number of records in a shard, reading only the 12-byte headers (length CRCs verified, data
 * skipped, so it costs one small read per record, not a pass over the data). The data CRCs are
 * verified when the records are read.
 */
export async function countRecords(file: string): Promise<number> {
  const fh = await openShard(file);
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw emptyShard(file);
    const head = new Uint8Array(12);
    const view = new DataView(head.buffer);
    let offset = 0;
    let n = 0;
    while (offset < size) {
      const { bytesRead } = await fh.read(head, 0, 12, offset);
      if (bytesRead < 12) throw corrupt(file, offset, `truncated header (${bytesRead} of 12 bytes)`);
      const stored = view.getUint32(8, true);
      const computed = maskedCrc32c(head.subarray(0, 8));
      if (stored !== computed) {
        throw corrupt(file, offset, `length CRC mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`);
      }
      const next = offset + 12 + Number(view.getBigUint64(0, true)) + 4;
      if (next > size)
        throw corrupt(file, offset, `truncated record (${size - offset - 12} of ${next - offset - 12} bytes)`);
      offset = next;
      n++;
    }
    return n;
  } finally {
    await fh.close();
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
