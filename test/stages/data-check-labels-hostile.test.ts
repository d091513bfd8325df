/**
 * check-labels against hostile input: only formats TensorFlow decodes reach clean.txt (others are
 * re-encoded to PNG or rejected), multi-page images are noted, paths stay inside the image root,
 * the pixel limit applies before decoding, and control characters never reach rejects.txt raw.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import checkLabels from '../../stages/check-labels.ts';
import { stageContext } from './data-context.ts';

let dir: string;
let root: string;
const rgb = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 200, b: 90 } } });

/** A tiny PNG whose header says 12000×12000 (its pixel data is cut short: a decode would allocate 432 MB before failing). */
function hugeHeaderOnlyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(12000, 0);
  ihdr.writeUInt32BE(12000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(100))),
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-check-hostile-'));
  root = join(dir, 'set');
  await mkdir(join(root, 'img'), { recursive: true });
  await rgb(8, 6)
    .png()
    .toFile(join(root, 'img', 'ok.png'));
  await writeFile(
    join(root, 'img', 'pic.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="4"><rect width="10" height="4" fill="#f00"/></svg>',
  );
  const pages = Buffer.alloc(8 * 16 * 3, 100);
  await sharp(pages, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } })
    .tiff()
    .toFile(join(root, 'img', 'multi.tiff'));
  await rgb(40, 40)
    .png()
    .toFile(join(root, 'img', 'big.png'));
  await writeFile(join(root, 'img', 'huge.png'), hugeHeaderOnlyPng());
  await rgb(8, 6).png().toFile(join(dir, 'outside.png'));
  await symlink(join(dir, 'outside.png'), join(root, 'img', 'link.png'));
  await writeFile(join(root, 'classes.json'), JSON.stringify({ heads: [{ name: 'k', classes: ['a', 'b'] }] }));
  const lines = [
    'img/ok.png 0', // 1 ok
    'img/pic.svg 1', // 2 SVG: re-encoded (or rejected)
    'img/multi.tiff 0', // 3 two-page TIFF: re-encoded, first page, noted
    '../outside.png 1', // 4 outside the root
    'img/link.png 1', // 5 inside, but a symlink out of the root
    'img/a\u0001b.png 0', // 6 control character
    'img/huge.png 1', // 7 12000×12000 by its header
  ];
  await writeFile(join(root, 'labels.txt'), lines.join('\n') + '\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function rejectsOf(out: string): Promise<string[]> {
  return (await readFile(join(root, out, 'rejects.txt'), 'utf8')).trimEnd().split('\n');
}

describe('check-labels against hostile input', () => {
  it('re-encodes SVG/TIFF to PNG (first page, noted), rejects outside-root, control-character and over-limit lines with escaped text', async () => {
    const ctx = stageContext(checkLabels, root, { labels: 'labels.txt', out: 'clean', max_reject_rate: 1 });
    await checkLabels.run(ctx);
    expect(await readFile(join(root, 'clean', 'clean.txt'), 'utf8')).toBe(
      '../img/ok.png 0\nreencoded/000002.png 1\nreencoded/000003.png 0\n',
    );
    const svg = await sharp(join(root, 'clean', 'reencoded', '000002.png')).metadata();
    expect([svg.format, svg.width, svg.height]).toEqual(['png', 10, 4]);
    const tiff = await sharp(join(root, 'clean', 'reencoded', '000003.png')).metadata();
    expect([tiff.format, tiff.width, tiff.height, tiff.pages ?? 1]).toEqual(['png', 8, 8, 1]);
    const tsv = (await readFile(join(root, 'clean', 'images.tsv'), 'utf8')).split('\n');
    expect(tsv[2]).toBe('2\treencoded/000002.png\tsvg\t10\t4\t4\t8\talpha dropped,svg→png');
    expect(tsv[3]).toBe('3\treencoded/000003.png\ttiff\t8\t8\t3\t8\tmulti-page (2): first page used,tiff→png');
    expect(ctx.logs).toContain(
      'note: 1 multi-page image (TIFF pages, GIF/WebP frames): only the first page is used (images.tsv lists them)',
    );

    const rejects = await rejectsOf('clean');
    expect(rejects).toEqual([
      `4\t../outside.png is outside the image root ${root} (set allow_outside_root: true to allow it)\t../outside.png 1`,
      `5\timg/link.png leads (through a symlink) to ${join(dir, 'outside.png')}, outside the image root ${root} (set allow_outside_root: true to allow it)\timg/link.png 1`,
      '6\tthe path holds a control character (\\x01); rename the file\timg/a\\x01b.png 0',
      '7\t12000×12000 = 144.0 M pixels is over max_pixels 50.0 M (checked before decoding)\timg/huge.png 1',
    ]);
    expect(await readFile(join(root, 'clean', 'rejects.txt'), 'utf8')).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    const summary = JSON.parse(await readFile(join(root, 'clean', 'summary.json'), 'utf8'));
    expect(summary.reasons).toEqual({ 'outside root': 2, 'control character': 1, 'too many pixels': 1 });
    expect(summary.formats).toEqual({ png: 1, svg: 1, tiff: 1 });
  });

  it('unsupported_format: reject names the format; allow_outside_root accepts outside paths; max_pixels is a param', async () => {
    const ctx = stageContext(checkLabels, root, {
      labels: 'labels.txt',
      out: 'strict',
      max_reject_rate: 1,
      unsupported_format: 'reject',
      allow_outside_root: true,
      max_pixels: 1000,
    });
    await checkLabels.run(ctx);
    expect(await readFile(join(root, 'strict', 'clean.txt'), 'utf8')).toBe(
      '../img/ok.png 0\n../../outside.png 1\n../img/link.png 1\n',
    );
    const rejects = (await rejectsOf('strict')).map((l) => l.split('\t').slice(0, 2).join(' | '));
    expect(rejects).toEqual([
      '2 | svg is not a format TensorFlow decodes (jpeg, png, gif, bmp, webp); set unsupported_format: reencode to convert it to PNG',
      '3 | tiff is not a format TensorFlow decodes (jpeg, png, gif, bmp, webp); set unsupported_format: reencode to convert it to PNG',
      '6 | the path holds a control character (\\x01); rename the file',
      '7 | 12000×12000 = 144.0 M pixels is over max_pixels 1000 (checked before decoding)',
    ]);
  });

  it('max_pixels counts width × height: a 40×40 PNG is over a 1000-pixel limit', async () => {
    await writeFile(join(root, 'one.txt'), 'img/big.png 0\n');
    const ctx = stageContext(checkLabels, root, {
      labels: 'one.txt',
      out: 'one',
      max_reject_rate: 1,
      max_pixels: 1000,
    });
    // one line, rejected: nothing left, so refused (exit 2), with rejects.txt written for a look
    await expect(checkLabels.run(ctx)).rejects.toThrow(
      'one.txt:1: every one of the 1 lines was rejected, so one/clean.txt would be empty',
    );
    expect((await rejectsOf('one'))[0]).toBe(
      '1\t40×40 = 1600 pixels is over max_pixels 1000 (checked before decoding)\timg/big.png 0',
    );
  });
});
