import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cOf, maskCrc, maskedCrc32c } from '../../src/data/tfrecord/crc.ts';
import { decodeImageExample, encodeExample, encodeImageExample } from '../../src/data/tfrecord/example.ts';
import { countRecords, frameRecord, readRecords } from '../../src/data/tfrecord/framing.ts';
import { shardName, writeTfRecordShards } from '../../src/data/tfrecord/writer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-tfr-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Bitwise CRC32C (reflected polynomial 0x82F63B78), independent of @node-rs/crc32. */
function slowCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

describe('CRC32C', () => {
  it('matches the RFC 3720 / check test vectors', () => {
    expect(crc32cOf(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32cOf(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32cOf(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32cOf(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(slowCrc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('masks as ((crc >>> 15) | (crc << 17)) + 0xa282ead8', () => {
    // 0xE3069283: >>>15 = 0x0001C60D, <<17 = 0x25060000 (mod 2^32) → 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5
    expect(maskCrc(0xe3069283)).toBe(0xc78ab0e5);
    expect(maskCrc(0)).toBe(0xa282ead8);
  });
});

describe('Example + framing bytes', () => {
  it('encodes a fixed record to the hand-assembled protobuf and TFRecord bytes', () => {
    const example = encodeExample({ a: { int64List: [5] }, b: { bytesList: [Uint8Array.from([0x68, 0x69])] } });
    // Int64List{value:[5]} packed: 0a 01 05 ; Feature{int64_list=3}: 1a 03 0a 01 05
    const featA = [0x1a, 0x03, 0x0a, 0x01, 0x05];
    const entryA = [0x0a, 0x01, 0x61, 0x12, featA.length, ...featA]; // map entry: key=1 "a", value=2
    // BytesList{value:["hi"]}: 0a 02 68 69 ; Feature{bytes_list=1}: 0a 04 0a 02 68 69
    const featB = [0x0a, 0x04, 0x0a, 0x02, 0x68, 0x69];
    const entryB = [0x0a, 0x01, 0x62, 0x12, featB.length, ...featB];
    const features = [0x0a, entryA.length, ...entryA, 0x0a, entryB.length, ...entryB]; // Features.feature = 1
    const expected = Uint8Array.from([0x0a, features.length, ...features]); // Example.features = 1
    expect(Array.from(example)).toEqual(Array.from(expected));

    const framed = frameRecord(example);
    const len = [expected.length, 0, 0, 0, 0, 0, 0, 0];
    const mask = (c: number): number => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
    const want = [
      ...len,
      ...le32(mask(slowCrc32c(Uint8Array.from(len)))),
      ...expected,
      ...le32(mask(slowCrc32c(expected))),
    ];
    expect(Array.from(framed)).toEqual(want);
    expect(maskedCrc32c(expected)).toBe(mask(slowCrc32c(expected)));
  });

  it('encodes -1 labels as 10-byte varints and reads them back', () => {
    const bytes = encodeImageExample({
      encoded: Uint8Array.from([1, 2, 3]),
      format: 'png',
      height: 4,
      width: 6,
      filename: 'a b/é.png',
      labels: [3, -1, 0],
    });
    const back = decodeImageExample(bytes);
    expect(back).toEqual({
      encoded: Uint8Array.from([1, 2, 3]),
      format: 'png',
      height: 4,
      width: 6,
      filename: 'a b/é.png',
      labels: [3, -1, 0],
    });
  });
});

describe('sharded writer and verifying reader', () => {
  it('round-trips images and labels over shards named <split>-0000i-of-0000N', async () => {
    const items = [];
    for (let i = 0; i < 5; i++) {
      const p = join(dir, `img${i}.jpg`);
      await sharp({ create: { width: 8 + i, height: 5, channels: 3, background: { r: 40 * i, g: 10, b: 200 } } })
        .jpeg()
        .toFile(p);
      items.push({ path: p, filename: `img${i}.jpg`, labels: [i, i % 2 ? -1 : 1] });
    }
    const res = await writeTfRecordShards(items, {
      outDir: join(dir, 'out'),
      split: 'train',
      shardSize: 2,
      concurrency: 3,
    });
    expect(res.files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual([
      'train-00000-of-00003.tfrecord',
      'train-00001-of-00003.tfrecord',
      'train-00002-of-00003.tfrecord',
    ]);
    expect(shardName('val', 12, 100)).toBe('val-00012-of-00100.tfrecord');
    const counts = await Promise.all(res.files.map(countRecords));
    expect(counts).toEqual([2, 2, 1]);
    let i = 0;
    for (const f of res.files) {
      for await (const rec of readRecords(f)) {
        const ex = decodeImageExample(rec.data);
        expect(ex.filename).toBe(`img${i}.jpg`);
        expect(ex.labels).toEqual(items[i]!.labels);
        expect([ex.format, ex.width, ex.height]).toEqual(['jpeg', 8 + i, 5]);
        expect(Buffer.from(ex.encoded).equals(await readFile(items[i]!.path))).toBe(true);
        i++;
      }
    }
    expect(i).toBe(5);
  });

  it('names shard and byte offset of a flipped byte (data CRC) and a bad length CRC', async () => {
    const recs = [frameRecord(Uint8Array.from([1, 2, 3])), frameRecord(Uint8Array.from([4, 5, 6, 7]))];
    const good = Uint8Array.from([...recs[0]!, ...recs[1]!]);
    const file = join(dir, 'flip.tfrecord');
    const bad = good.slice();
    bad[recs[0]!.length + 13] ^= 0x01; // a data byte of the second record (header at offset 19)
    await writeFile(file, bad);
    expect(await countRecords(file)).toBe(2); // counting reads headers only
    const read = async (): Promise<number> => {
      let k = 0;
      for await (const _ of readRecords(file)) k++;
      return k;
    };
    await expect(read()).rejects.toThrow(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt TFRecord at byte offset 19: data CRC mismatch`,
      ),
    );
    const bad2 = good.slice();
    bad2[0] ^= 0x04; // length field of the first record
    await writeFile(file, bad2);
    await expect(countRecords(file)).rejects.toThrow(
      /flip\.tfrecord: corrupt TFRecord at byte offset 0: length CRC mismatch/,
    );
    await expect(read()).rejects.toThrow(/flip\.tfrecord: corrupt TFRecord at byte offset 0: length CRC mismatch/);
    await writeFile(file, good.subarray(0, good.length - 2));
    await expect(countRecords(file)).rejects.toThrow(/byte offset 19: truncated record \(6 of 8 bytes\)/);
    await expect(read()).rejects.toThrow(/byte offset 19: truncated record \(6 of 8 bytes\)/);
  });
});
