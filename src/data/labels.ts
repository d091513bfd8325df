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
import { DataError, PreflightError } from '../errors.ts';
import { maxLabel, type HeadSpec } from './heads.ts';

export const UNKNOWN_LABEL = -1;

export interface LabelRecord {
  /** Path as written in the file (relative to the image root, or absolute). */
  path: string;
  /** One integer per head; -1 = unknown. */
  labels: number[];
  /** 1-based line number in the label file. */
  line: number;
}

export type ParsedLine = { ok: true; path: string; labels: number[] } | { ok: false; reason: string } | { ok: 'blank' };

/** Parses one line (without its line ending). Never throws. */
export function parseLabelLine(raw: string): ParsedLine {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return { ok: 'blank' };
  let path: string;
  let fields: string[];
  const tab = line.indexOf('\t');
  if (tab >= 0) {
    path = line.slice(0, tab);
    fields = line
      .slice(tab + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
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
 * @param heads expected label count per line (or the heads, whose class counts bound each label:
 *   a label out of range is a PreflightError at its line); a line with another count is then a
 *   PreflightError (exit 2) too. Omitted = taken from the first record (a mismatch is a DataError).
 */
export async function readLabelFile(file: string, heads?: number | readonly HeadSpec[]): Promise<LabelRecord[]> {
  const specs = typeof heads === 'object' ? heads : undefined;
  const count = typeof heads === 'object' ? heads.length : heads;
  const text = await readFile(file, 'utf8');
  const out: LabelRecord[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const p = parseLabelLine(lines[i]!);
    if (p.ok === 'blank') continue;
    if (p.ok === false) {
      throw new DataError(
        p.reason,
        { file, line: i + 1 },
        { hint: 'run the check-labels stage to list and drop bad lines' },
      );
    }
    const want = count ?? out[0]?.labels.length;
    if (want !== undefined && p.labels.length !== want) {
      // Against the heads of classes.json the file cannot be used at all: refused before any
      // compute (exit 2). Without heads, the file merely disagrees with its own first line.
      const Refusal = count !== undefined ? PreflightError : DataError;
      throw new Refusal(
        `expected ${want} labels${count !== undefined ? ` (one per head of classes.json)` : ` (as on line ${out[0]!.line})`}, found ${p.labels.length}`,
        { file, line: i + 1 },
        {
          hint: 'every line needs one label per head; run check-labels to list the bad lines',
        },
      );
    }
    if (specs) {
      const k = p.labels.findIndex((v, h) => v !== UNKNOWN_LABEL && (v < 0 || v > maxLabel(specs[h]!)));
      if (k >= 0) {
        const h = specs[k]!;
        throw new PreflightError(
          `label ${p.labels[k]} of head "${h.name}" (column ${k + 1}) is outside 0..${maxLabel(h)}${h.classes.length === 1 ? ' (a binary head: 0 or 1)' : ` (${h.classes.length} classes)`}, or -1 for unknown`,
          { file, line: i + 1 },
          {
            hint: 'fix the label or classes.json; check-labels lists and drops such lines',
          },
        );
      }
    }
    out.push({ path: p.path, labels: p.labels, line: i + 1 });
  }
  return out;
}
