/**
 * Reading a manifest beside the images (`manifest.csv`, `manifest.jsonl` or `manifest.ndjson`) for
 * `init --from`: which column holds the image path, which columns are heads, and whether one is a
 * tag list (multi-hot: one binary head per tag).
 *
 * - The path column is one named path, file, filename, file_name, image, image_path, img or
 *   filepath; else the first column whose values mostly end in an image extension.
 * - A tag list is a JSON array (JSONL) or a CSV cell holding `;` or `|` between tags.
 * - Any other column is a head when it has 2 or more values and repeats them (at most half as
 *   many distinct values as rows, and at most 1000): an id, a file size or a free-text caption is
 *   not a label, and is named in the notes as ignored.
 * Head columns and a tag column may come together: the tag heads follow the column heads.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError, DataError } from '../../errors.ts';
import { IMAGE_EXTENSIONS } from '../generate/scan.ts';

export const MANIFEST_NAMES = ['manifest.csv', 'manifest.jsonl', 'manifest.ndjson'];
const PATH_COLUMNS = ['path', 'file', 'filename', 'file_name', 'image', 'image_path', 'img', 'filepath'];
const TAG_SEPARATORS = [';', '|'];

/** The manifest file in `root`, if any. */
export function findManifest(root: string): string | undefined {
  return MANIFEST_NAMES.map((n) => join(root, n)).find((f) => existsSync(f));
}

export interface ManifestLabelling {
  /** The manifest's file name, relative to the root. */
  file: string;
  pathColumn: string;
  /** Head columns (one head each). */
  columns: string[];
  tagsColumn?: string;
  tagSeparator?: string;
  rows: number;
  notes: string[];
}

const isJsonl = (file: string) => /\.(jsonl|ndjson)$/i.test(file);

async function readRows(file: string): Promise<Record<string, unknown>[]> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  if (isJsonl(file)) {
    const rows: Record<string, unknown>[] = [];
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch (err) {
        throw new DataError(
          `not a JSON object: ${(err as Error).message}`,
          { file, line: i + 1 },
          { cause: err, hint: 'each line of a .jsonl manifest is one object, e.g. {"path": "a.jpg", "label": "cat"}' },
        );
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new DataError(
          'not a JSON object',
          { file, line: i + 1 },
          { hint: 'each line is one object, e.g. {"path": "a.jpg", "label": "cat"}' },
        );
      rows.push(v as Record<string, unknown>);
    });
    return rows;
  }
  try {
    return parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, unknown>[];
  } catch (err) {
    throw new DataError(
      `cannot parse CSV: ${(err as Error).message}`,
      { file },
      { cause: err, hint: 'the first row names the columns, e.g. path,label' },
    );
  }
}

const looksLikeImage = (v: unknown) => typeof v === 'string' && IMAGE_EXTENSIONS.includes(extname(v).toLowerCase());

/** Reads `root/<name>` and decides its path, head and tag columns. */
export async function manifestLabelling(root: string, name: string): Promise<ManifestLabelling> {
  const file = join(root, name);
  const rows = await readRows(file);
  if (rows.length === 0)
    throw new ConfigError(`init: ${file} has no rows`, { hint: 'one row per image: path and a column per head' });
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const pathColumn =
    keys.find((k) => PATH_COLUMNS.includes(k.toLowerCase())) ??
    keys.find((k) => rows.filter((r) => looksLikeImage(r[k])).length >= rows.length / 2);
  if (!pathColumn) {
    throw new ConfigError(`init: ${file}: no column holds image paths (columns: ${keys.join(', ')})`, {
      hint: `name the path column one of ${PATH_COLUMNS.join(', ')}`,
    });
  }
  const notes: string[] = [];
  const columns: string[] = [];
  let tagsColumn: string | undefined;
  let tagSeparator: string | undefined;
  for (const k of keys.filter((x) => x !== pathColumn)) {
    const cells = rows.map((r) => r[k]).filter((v) => v !== undefined && v !== null && v !== '');
    if (cells.some((v) => Array.isArray(v))) {
      if (tagsColumn) notes.push(`column ${k}: a second tag list, ignored (${tagsColumn} is the tag column)`);
      else tagsColumn = k;
      continue;
    }
    const text = cells.map(String);
    const sep = TAG_SEPARATORS.find((s) => text.some((t) => t.includes(s)));
    if (sep && !isJsonl(file)) {
      if (tagsColumn) notes.push(`column ${k}: a second tag list, ignored (${tagsColumn} is the tag column)`);
      else [tagsColumn, tagSeparator] = [k, sep];
      continue;
    }
    const distinct = new Set(text.filter((t) => t !== '-1'));
    if (distinct.size < 2)
      notes.push(`column ${k}: ${distinct.size === 0 ? 'empty' : `one value only (${[...distinct][0]})`}, not a head`);
    else if (distinct.size > Math.min(1000, rows.length / 2))
      notes.push(
        `column ${k}: ${distinct.size} different values in ${rows.length} rows (an id or a measurement, not a label), ignored`,
      );
    else columns.push(k);
  }
  if (columns.length === 0 && !tagsColumn) {
    throw new ConfigError(`init: ${file}: no column can be a head (each needs 2 or more repeated values)`, {
      hint: notes.join('; ') || 'add a label column',
    });
  }
  return { file: name, pathColumn, columns, tagsColumn, tagSeparator, rows: rows.length, notes };
}
