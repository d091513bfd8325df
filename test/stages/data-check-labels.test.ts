import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResized } from '../../src/data/image/decode.ts';
import { readLabelFile } from '../../src/data/labels.ts';
import checkLabels from '../../stages/check-labels.ts';
import { stageContext } from './data-context.ts';

let dir: string;
const rgb = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 40, b: 90 } } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-check-'));
  const img = join(dir, 'img');
  await mkdir(join(img, 'my photos'), { recursive: true });
  await rgb(16, 12).jpeg().toFile(join(img, 'ok.jpg'));
  const good = await rgb(64, 48).jpeg().toBuffer();
  await writeFile(join(img, 'truncated.jpg'), good.subarray(0, Math.floor(good.length / 2)));
  await writeFile(join(img, 'garbage.jpg'), Buffer.concat([good.subarray(0, 20), Buffer.alloc(200, 0x5a)]));
  await writeFile(join(img, 'zero.jpg'), '');
  await rgb(16, 12).jpeg().toFile(join(img, '鲁BC6T76.jpg'));
  await rgb(16, 12)
    .jpeg()
    .toFile(join(img, 'my photos', 'a b.jpg'));
  await rgb(16, 12).toColourspace('b-w').png().toFile(join(img, 'grey.png'));
  await rgb(16, 12).toColourspace('cmyk').jpeg().toFile(join(img, 'cmyk.jpg'));
  await rgb(16, 12).toColourspace('rgb16').png().toFile(join(img, 'deep.png'));
  // 20×10 stored, left half red / right half blue; orientation 6 = display rotated 90° clockwise.
  const halves = Buffer.alloc(20 * 10 * 3);
  for (let y = 0; y < 10; y++)
    for (let x = 0; x < 20; x++) halves.set(x < 10 ? [255, 0, 0] : [0, 0, 255], (y * 20 + x) * 3);
  await sharp(halves, { raw: { width: 20, height: 10, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toFile(join(img, 'exif.jpg'));
  await writeFile(
    join(dir, 'classes.json'),
    JSON.stringify({
      heads: [
        { name: 'digit', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
        { name: 'flag', classes: ['flag'] },
      ],
    }),
  );
  const lines = [
    'img/ok.jpg 3 1', //  1 ok
    'img/truncated.jpg 1 0', //  2 corrupt (truncated)
    'img/garbage.jpg 1 0', //  3 corrupt (garbage after the header)
    'img/zero.jpg 1 0', //  4 zero bytes
    'img/missing.jpg 1 0', //  5 missing
    'img/ok.jpg 1', //  6 wrong column count (checked before duplicates)
    'img/cmyk.jpg 10 0', //  7 out of range (digit max 9)
    'img/grey.png 2 2', //  8 out of range (binary head max 1)
    'img/鲁BC6T76.jpg 4 -1', //  9 non-ASCII path, ok
    'img/my photos/a b.jpg\t5 1', // 10 TAB + spaces, ok
    'img/grey.png 6 0', // 11 grey PNG, ok
    'img/cmyk.jpg 7 1', // 12 CMYK JPEG, ok
    'img/deep.png 8 0', // 13 16-bit PNG, ok
    'img/exif.jpg 9 1', // 14 EXIF rotated, ok
    'img/ok.jpg 0 0', // 15 duplicate of line 1
    '', // blank: ignored
    'img/ok.jpg x 1', // 17 not an integer
  ];
  await writeFile(join(dir, 'labels.txt'), '\uFEFF' + lines.join('\r\n') + '\r\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('check-labels stage', () => {
  it('classifies every fixture and writes clean.txt, rejects.txt, summary.json', async () => {
    const ctx = stageContext(checkLabels, dir, { labels: 'labels.txt', out: 'clean', max_reject_rate: 0.6 });
    const result = await checkLabels.run(ctx);
    const rejects = (await readFile(join(dir, 'clean', 'rejects.txt'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rejects.map((r) => [r[0], r[1]!.split(':')[0]])).toEqual([
      ['2', 'does not decode'],
      ['3', 'does not decode'],
      ['4', 'empty file (0 bytes)'],
      ['5', 'file not found'],
      ['6', 'expected 2 labels (one per head), found 1'],
      ['7', 'label 10 in column 1 (head digit) is outside [-1, 9]'],
      ['8', 'label 2 in column 2 (head flag) is outside [-1, 1]'],
      ['15', 'duplicate path'],
      ['17', 'label "x" is not an integer'],
    ]);
    expect(rejects[0]![2]).toBe('img/truncated.jpg 1 0'); // original line, CR removed
    expect(rejects[7]![1]).toBe('duplicate path: same image as line 1');

    const clean = await readFile(join(dir, 'clean', 'clean.txt'), 'utf8');
    expect(clean).toBe(
      [
        '../img/ok.jpg 3 1',
        '../img/鲁BC6T76.jpg 4 -1',
        '../img/my photos/a b.jpg\t5 1',
        '../img/grey.png 6 0',
        '../img/cmyk.jpg 7 1',
        '../img/deep.png 8 0',
        '../img/exif.jpg 9 1',
      ].join('\n') + '\n',
    );
    // clean.txt reads back strictly, paths resolving from its own folder
    const back = await readLabelFile(join(dir, 'clean', 'clean.txt'), 2);
    expect(back[2]!.path).toBe('../img/my photos/a b.jpg');

    const summary = JSON.parse(await readFile(join(dir, 'clean', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      total: 16,
      accepted: 7,
      rejected: 9,
      width: { min: 10, max: 16 },
      height: { min: 12, max: 20 },
    });
    expect(summary.reject_rate).toBeCloseTo(9 / 16, 10);
    expect(summary.reasons).toEqual({
      'does not decode': 2,
      'empty file': 1,
      'file not found': 1,
      'column count': 1,
      'label out of range': 2,
      'duplicate path': 1,
      'unparseable line': 1,
    });
    expect(summary.channels).toEqual({ '1': 1, '3': 5, '4': 1 });
    expect(summary.formats).toEqual({ jpeg: 5, png: 2 });
    expect(summary.notes).toEqual({ grey: 1, 'cmyk→srgb': 1, '16-bit→8-bit': 1, 'exif orientation applied': 1 });

    const tsv = (await readFile(join(dir, 'clean', 'images.tsv'), 'utf8')).split('\n');
    expect(tsv.find((l) => l.includes('exif.jpg'))).toBe(
      '14\t../img/exif.jpg\tjpeg\t10\t20\t3\t8\texif orientation 6 applied',
    );
    expect(result).toMatchObject({ metrics: { total: 16, accepted: 7, rejected: 9 } });
    expect(ctx.logs[0]).toMatch(/^7\/16 lines accepted, 9 rejected/);
  });

  it('fails with a StageError when the reject rate exceeds max_reject_rate', async () => {
    const ctx = stageContext(checkLabels, dir, { labels: 'labels.txt', out: 'clean2', max_reject_rate: 0.5 });
    await expect(checkLabels.run(ctx)).rejects.toThrow(
      /^stage check-labels: 9 of 16 lines rejected \(56\.3% > max_reject_rate 50\.0%\): labels\.txt:2: does not decode/,
    );
  });

  it('the loader-side decode reads accepted odd formats as 8-bit sRGB and applies EXIF rotation', async () => {
    for (const f of ['grey.png', 'cmyk.jpg', 'deep.png']) {
      const px = await decodeResized(join(dir, 'img', f), { height: 3, width: 4 });
      expect(px.length).toBe(3 * 4 * 3);
    }
    const deep = await decodeResized(join(dir, 'img', 'deep.png'), { height: 3, width: 4 });
    expect(Math.abs(deep[0]! - 200) + Math.abs(deep[1]! - 40) + Math.abs(deep[2]! - 90)).toBeLessThan(4);
    // Rotated 90° clockwise: the stored left (red) half becomes the top half.
    const ex = await decodeResized(join(dir, 'img', 'exif.jpg'), { height: 20, width: 10 });
    const at = (x: number, y: number) => Array.from(ex.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3));
    expect(at(5, 2)[0]).toBeGreaterThan(200);
    expect(at(5, 2)[2]).toBeLessThan(50);
    expect(at(5, 17)[2]).toBeGreaterThan(200);
    expect(at(5, 17)[0]).toBeLessThan(50);
  });
});
