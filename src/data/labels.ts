/**
 * The label-file format shared by every stage:
 *
 *   <image path> <l0> <l1> … <lK-1>
 *
 * A line that contains a TAB splits on the first TAB (path, then whitespace-separated labels), so
 * paths may contain spaces; otherwise the line splits on whitespace. UTF-8, an optional BOM, LF
 * or CRLF. Each label is an integer class of that head; -1 means unknown (masked from loss and
 * metrics). A head with one class is a binary (sigmoid) label, 0 or 1.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../errors.ts';

export const UNKNOWN_LABEL = -1;

export interface LabelRecord {
  /** Path as written in the file (relative to the image root, or absolute). */
  path: string;
  /** One integer per head; -1 = unknown. */
  labels: number[];
  /** 1-based line number in the label file. */
  line: number;
}

export type ParsedLine =
  | { ok: true; path: string; labels: number[] }
  | { ok: false; reason: string }
  | { ok: 'blank' };

/** Parses one line (without its line ending). Never throws. */
export function parseLabelLine(raw: string): ParsedLine {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return { ok: 'blank' };
  let path: string;
  let fields: string[];
  const tab = line.indexOf('\t');
  if (tab >= 0) {
    path = line.slice(0, tab);
    fields = line.slice(tab + 1).trim().split(/\s+/).filter(Boolean);
  } else {
    const parts = line.trim().split(/\s+/);
    path = parts[0]!;
    fields = parts.slice(1);
  }
  if (path === '') return { ok: false, reason: 'empty image path' };
  if (fields.length === 0) return { ok: false, reason: 'no labels after the image path' };
  const labels: number[] = [];
  for (const f of fields) {
    if (!/^-?\d+$/.test(f)) return { ok: false, reason: `label "${f}" is not an integer` };
    labels.push(Number(f));
  }
  return { ok: true, path, labels };
}

/** Splits file text into lines, dropping a UTF-8 BOM and tolerating CRLF. */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split('\n');
}

/**
 * Reads a label file strictly: any malformed line is a DataError naming file and line.
 * (check-labels is the tolerant reader that writes rejects; training reads its clean output.)
 * @param heads expected label count per line; omitted = taken from the first record.
 */
export async function readLabelFile(file: string, heads?: number): Promise<LabelRecord[]> {
  const text = await readFile(file, 'utf8');
  const out: LabelRecord[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const p = parseLabelLine(lines[i]!);
    if (p.ok === 'blank') continue;
    if (p.ok === false) {
      throw new DataError(p.reason, { file, line: i + 1 }, { hint: 'run the check-labels stage to list and drop bad lines' });
    }
    const want = heads ?? out[0]?.labels.length;
    if (want !== undefined && p.labels.length !== want) {
      throw new DataError(`expected ${want} labels, found ${p.labels.length}`, { file, line: i + 1 }, {
        hint: 'every line needs one label per head; run check-labels to list the bad lines',
      });
    }
    out.push({ path: p.path, labels: p.labels, line: i + 1 });
  }
  return out;
}
