/**
 * BMP, which TensorFlow decodes and sharp cannot: files written here byte by byte per the BMP
 * format (BITMAPFILEHEADER + BITMAPINFOHEADER, bottom-up or top-down rows, BGR, rows padded to 4
 * bytes, an 8-bit palette of BGRA entries) decode to exactly the pixels of the PNG of the same
 * pixels, in every reader (decodeResized is what the loader, evaluate and predict use); check-labels
 * accepts the ones TensorFlow reads as they are, re-encodes a palette BMP (TensorFlow ignores BMP
 * palettes), checks max_pixels on the header, and write-tfrecord stores the bytes as is.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBmp } from '../../src/data/image/bmp.ts';
import { decodeResized } from '../../src/data/image/decode.ts';
import { readRecords } from '../../src/data/tfrecord/framing.ts';
import { decodeImageExample } from '../../src/data/tfrecord/example.ts';
import { writeTfRecordShards } from '../../src/data/tfrecord/writer.ts';
import checkLabels from '../../stages/check-labels.ts';
import { stageContext } from '../stages/data-context.ts';

const W = 5; // odd, so 24-bit rows need padding (15 bytes → 16)
const H = 3;
/** Known pixels, row-major RGB, top row first. */
const PIXELS = Buffer.from(
  Array.from({ length: W * H }, (_, i) => [(i * 37) % 256, (i * 91 + 13) % 256, 255 - ((i * 53) % 256)]).flat(),
);

/** Reads pixel i of PIXELS. */
const px = (i: number) => [PIXELS[i * 3]!, PIXELS[i * 3 + 1]!, PIXELS[i * 3 + 2]!] as const;

function headers(bitsPerPixel: number, rowBytes: number, paletteBytes: number, height: number): Buffer {
  const offset = 14 + 40 + paletteBytes;
  const b = Buffer.alloc(14 + 40);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(offset + rowBytes * H, 2); // file size
  b.writeUInt32LE(offset, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  b.writeInt32LE(W, 18);
  b.writeInt32LE(height, 22); // > 0: bottom-up rows, < 0: top-down
  b.writeUInt16LE(1, 26); // planes
  b.writeUInt16LE(bitsPerPixel, 28);
  b.writeUInt32LE(0, 30); // BI_RGB
  b.writeUInt32LE(rowBytes * H, 34);
  b.writeInt32LE(2835, 38);
  b.writeInt32LE(2835, 42);
  b.writeUInt32LE(paletteBytes / 4, 46); // colours used
  return b;
}

/** A 24-bit BMP of PIXELS. */
function bmp24(topDown = false): Buffer {
  const rowBytes = Math.ceil((W * 3) / 4) * 4;
  const rows = Buffer.alloc(rowBytes * H);
  for (let y = 0; y < H; y++) {
    const fileRow = topDown ? y : H - 1 - y;
    for (let x = 0; x < W; x++) {
      const [r, g, b] = px(y * W + x);
      rows.set([b, g, r], fileRow * rowBytes + x * 3);
    }
  }
  return Buffer.concat([headers(24, rowBytes, 0, topDown ? -H : H), rows]);
}

/** An 8-bit palette BMP of PIXELS: palette entry i is pixel i's colour (BGRA, A reserved 0), in reverse so index ≠ grey level. */
function bmp8(): Buffer {
  const n = W * H;
  const palette = Buffer.alloc(256 * 4);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = px(i);
    palette.set([b, g, r, 0], (255 - i) * 4);
  }
  const rowBytes = Math.ceil(W / 4) * 4;
  const rows = Buffer.alloc(rowBytes * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rows[(H - 1 - y) * rowBytes + x] = 255 - (y * W + x);
  return Buffer.concat([headers(8, rowBytes, palette.length, H), palette, rows]);
}

const png = () =>
  sharp(PIXELS, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-bmp-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('BMP', () => {
  it('24-bit (bottom-up and top-down) and 8-bit palette BMPs decode to exactly the pixels of the PNG of the same pixels', async () => {
    const fromPng = await decodeResized(await png(), { width: W, height: H });
    expect(Buffer.from(fromPng).equals(PIXELS)).toBe(true); // the PNG itself is lossless
    for (const [name, bytes] of [
      ['24-bit', bmp24()],
      ['24-bit top-down', bmp24(true)],
      ['8-bit palette', bmp8()],
    ] as const) {
      expect(Buffer.from(await decodeResized(bytes, { width: W, height: H })).equals(PIXELS), name).toBe(true);
      // resized and grey, the same operations on the same pixels: the same bytes as the PNG's
      for (const size of [
        { width: 8, height: 6 },
        { width: 2, height: 2, channels: 1 as const },
      ]) {
        expect(
          Buffer.from(await decodeResized(bytes, size)).equals(Buffer.from(await decodeResized(await png(), size))),
          `${name} ${JSON.stringify(size)}`,
        ).toBe(true);
      }
      const file = join(dir, `${name.replace(/ /g, '-')}.bmp`);
      await writeFile(file, bytes);
      expect(
        Buffer.from(await decodeResized(file, { width: W, height: H })).equals(PIXELS),
        `${name} from its path`,
      ).toBe(true);
    }
  });

  it('check-labels accepts a 24-bit BMP as is (header size), re-encodes a palette BMP to the same pixels, and checks max_pixels before decoding', async () => {
    const root = join(dir, 'set');
    await mkdir(join(root, 'img'), { recursive: true });
    await writeFile(join(root, 'img', 'rgb.bmp'), bmp24());
    await writeFile(join(root, 'img', 'pal.bmp'), bmp8());
    const huge = bmp24();
    huge.writeInt32LE(12000, 18);
    huge.writeInt32LE(12000, 22); // a header of 144 M pixels over 15 pixels of data
    await writeFile(join(root, 'img', 'huge.bmp'), huge);
    await writeFile(join(root, 'img', 'cut.bmp'), bmp24().subarray(0, 60)); // truncated pixel data
    await writeFile(join(root, 'classes.json'), JSON.stringify({ heads: [{ name: 'k', classes: ['a', 'b'] }] }));
    await writeFile(join(root, 'labels.txt'), 'img/rgb.bmp 0\nimg/pal.bmp 1\nimg/huge.bmp 0\nimg/cut.bmp 1\n');

    const ctx = stageContext(checkLabels, root, { labels: 'labels.txt', out: 'clean', max_reject_rate: 1 });
    await checkLabels.run(ctx);
    expect(await readFile(join(root, 'clean', 'clean.txt'), 'utf8')).toBe('../img/rgb.bmp 0\nreencoded/000002.png 1\n');
    const tsv = (await readFile(join(root, 'clean', 'images.tsv'), 'utf8')).split('\n');
    expect(tsv[1]).toBe('1\t../img/rgb.bmp\tbmp\t5\t3\t3\t8\t');
    expect(tsv[2]).toBe('2\treencoded/000002.png\tbmp\t5\t3\t3\t8\tbmp 8-bit palette: TensorFlow misreads it,bmp→png');
    const { data } = await sharp(join(root, 'clean', 'reencoded', '000002.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data.equals(PIXELS)).toBe(true);
    const rejects = (await readFile(join(root, 'clean', 'rejects.txt'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t').slice(0, 2).join(' | '));
    expect(rejects[0]).toBe('3 | 12000×12000 = 144.0 M pixels is over max_pixels 50.0 M (checked before decoding)');
    expect(rejects[1]).toBe(
      '4 | does not decode: BMP: BMP is truncated: its header says 5×3 at 24 bits (102 bytes), the file has 60',
    );
    expect(rejects).toHaveLength(2);

    const strict = stageContext(checkLabels, root, {
      labels: 'labels.txt',
      out: 'strict',
      max_reject_rate: 1,
      unsupported_format: 'reject',
    });
    await checkLabels.run(strict);
    expect(await readFile(join(root, 'strict', 'clean.txt'), 'utf8')).toBe('../img/rgb.bmp 0\n');
    expect((await readFile(join(root, 'strict', 'rejects.txt'), 'utf8')).split('\n')[0]).toBe(
      '2\tbmp 8-bit palette: TensorFlow misreads it; set unsupported_format: reencode to convert it to PNG\timg/pal.bmp 1',
    );
  });

  it('write-tfrecord stores a BMP as is, with format bmp and the header size, and the loader decodes it', async () => {
    const file = join(dir, 'rec.bmp');
    await writeFile(file, bmp24());
    const res = await writeTfRecordShards([{ path: file, filename: 'rec.bmp', labels: [1] }], {
      outDir: join(dir, 'tfr'),
      split: 'train',
    });
    const recs = [];
    for await (const rec of readRecords(res.files[0]!)) recs.push(decodeImageExample(rec.data));
    expect(recs.map((e) => [e.format, e.width, e.height])).toEqual([['bmp', W, H]]);
    expect(Buffer.from(recs[0]!.encoded).equals(bmp24())).toBe(true);
    expect(Buffer.from(await decodeResized(recs[0]!.encoded, { width: W, height: H })).equals(PIXELS)).toBe(true);
  });

  it('a header that claims more pixels than the file holds is an error before anything is allocated for them', () => {
    const huge = bmp24();
    huge.writeInt32LE(20_000, 18);
    huge.writeInt32LE(20_000, 22); // 400 M pixels would be 1.6 GB in bmp-ts
    expect(() => decodeBmp(huge)).toThrow(
      'BMP is truncated: its header says 20000×20000 at 24 bits (1200000054 bytes), the file has 102',
    );
  });
});
