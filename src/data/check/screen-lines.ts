/**
 * The first pass of the label-file check, on the text alone: each line parses, has one label per
 * head in range, a path without control characters that stays inside the image root, and is not a
 * duplicate of an earlier line. Lines that pass wait for their image to be probed.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { maxLabel, type HeadSpec } from '../heads.ts';
import { parseLabelLine, splitLines } from '../labels.ts';

/** A rejected line. */
export interface Reject {
  line: number;
  /** Short class of the problem, e.g. `file not found`, `label out of range` (summary.json counts these). */
  kind: string;
  reason: string;
  original: string;
}

/** A line whose text passed, waiting for its image. */
export interface PendingLine {
  line: number;
  original: string;
  /** The path as written. */
  path: string;
  /** The path resolved against the image root. */
  abs: string;
  labels: number[];
}

/** Where paths resolve and what they may not leave. */
export interface ImageRoot {
  /** Relative paths resolve against it. */
  base: string;
  /** No image may lie outside it (unless allowed). */
  root: string;
  allowOutside: boolean;
}

/** C0 controls but TAB (a separator), DEL and C1 controls. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROL_ALL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** `s` with each control character (TAB kept) written as `\xNN`, so a reject line stays one line of text. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Whether `abs` lies outside `root`. */
export function outside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

function validateLabels(labels: number[], heads: HeadSpec[]): { kind: string; reason: string } | undefined {
  if (labels.length !== heads.length) {
    return { kind: 'column count', reason: `expected ${heads.length} labels (one per head), found ${labels.length}` };
  }
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    const max = maxLabel(heads[i]!);
    if (v < -1 || v > max) {
      return {
        kind: 'label out of range',
        reason: `label ${v} in column ${i + 1} (head ${heads[i]!.name}) is outside [-1, ${max}]`,
      };
    }
  }
  return undefined;
}

/** The lines of `text` (blank lines not counted) split into rejects and lines whose image is still to probe. */
export function screenLines(
  text: string,
  heads: HeadSpec[],
  at: ImageRoot,
): { total: number; pending: PendingLine[]; rejects: Reject[] } {
  const rejects: Reject[] = [];
  const pending: PendingLine[] = [];
  const firstLineOf = new Map<string, number>();
  let total = 0;
  splitLines(text).forEach((raw, i) => {
    const original = raw.replace(/\r$/, '');
    const parsed = parseLabelLine(original);
    if (parsed.ok === 'blank') return;
    total++;
    const line = i + 1;
    if (parsed.ok === false)
      return void rejects.push({ line, kind: 'unparseable line', reason: parsed.reason, original });
    const bad = validateLabels(parsed.labels, heads);
    if (bad) return void rejects.push({ line, ...bad, original });
    if (CONTROL.test(parsed.path)) {
      return void rejects.push({
        line,
        kind: 'control character',
        reason: `the path holds a control character (${escapeControl(parsed.path.match(CONTROL)![0])}); rename the file`,
        original,
      });
    }
    const abs = isAbsolute(parsed.path) ? parsed.path : resolve(at.base, parsed.path);
    if (!at.allowOutside && outside(at.root, abs)) {
      return void rejects.push({
        line,
        kind: 'outside root',
        reason: `${parsed.path} is outside the image root ${at.root} (set allow_outside_root: true to allow it)`,
        original,
      });
    }
    const first = firstLineOf.get(abs);
    if (first !== undefined)
      return void rejects.push({
        line,
        kind: 'duplicate path',
        reason: `duplicate path: same image as line ${first}`,
        original,
      });
    firstLineOf.set(abs, line);
    pending.push({ line, original, path: parsed.path, abs, labels: parsed.labels });
  });
  return { total, pending, rejects };
}
