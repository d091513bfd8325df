/**
 * Heads: what a model predicts per image. Stored as `classes.json` beside label files and in
 * every model folder:
 *
 *   { "heads": [ { "name": "digit0", "classes": ["0", …, "9"] }, { "name": "dress", "classes": ["dress"] } ] }
 *
 * A head with K ≥ 2 classes is categorical (softmax, label in 0..K-1); a head with one class is
 * binary (sigmoid, label 0/1). Label -1 is unknown for either kind.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { DataError, PreflightError } from '../errors.ts';

export interface HeadSpec {
  name: string;
  classes: string[];
}

export interface ClassesFile {
  heads: HeadSpec[];
}

export type HeadKind = 'softmax' | 'sigmoid';

export function headKind(head: HeadSpec): HeadKind {
  return head.classes.length === 1 ? 'sigmoid' : 'softmax';
}

/** Units of the head's Dense layer: K for softmax, 1 for sigmoid. */
export function headUnits(head: HeadSpec): number {
  return head.classes.length === 1 ? 1 : head.classes.length;
}

/** Largest valid label value for the head (1 for a binary head). */
export function maxLabel(head: HeadSpec): number {
  return head.classes.length === 1 ? 1 : head.classes.length - 1;
}

/**
 * Reads and validates a classes.json as a document: JSON syntax, at least one head, each head a
 * non-empty unique `name` and at least one class, class names unique within a head. Each problem
 * is a PreflightError (exit 2) at its line:col.
 */
export async function readClassesFile(file: string): Promise<ClassesFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read classes file: ${(err as Error).message}`, { file }, { cause: err });
  }
  return { heads: parseClassesDocument(file, text) };
}

/** The heads of classes.json text `text` (read from `file`), validated; see readClassesFile. */
export function parseClassesDocument(file: string, text: string): HeadSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const fail = (message: string, offset: number, hint = SHAPE): never => {
    const at = lines.linePos(offset);
    throw new PreflightError(`${at.line}:${at.col}: ${message}`, { file }, { hint });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    fail(
      `not valid JSON: ${(err as Error).message.replace(/ in JSON at position \d+.*$/, '')}`,
      m ? Number(m[1]) : 0,
      'write classes.json as JSON, e.g. {"heads": [{"name": "digit", "classes": ["0", "1"]}]}',
    );
  }
  const start = (p: (string | number)[]): number => {
    for (let n = p.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)) as Node | null | undefined;
      if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) return node.range[0];
    }
    return 0;
  };
  const heads = (json as ClassesFile)?.heads;
  if (json === null || typeof json !== 'object' || !Array.isArray(heads) || heads.length === 0) {
    return fail('expected {"heads": [{"name": …, "classes": [...]}, …]} with at least one head', start(['heads']));
  }
  const names = new Map<string, number>();
  heads.forEach((h, i) => {
    if (h === null || typeof h !== 'object' || Array.isArray(h))
      return fail(`heads[${i}] must be a map {"name": …, "classes": [...]}`, start(['heads', i]));
    if (typeof h.name !== 'string' || h.name === '')
      return fail(`heads[${i}] needs a non-empty "name" string`, start(['heads', i, 'name']));
    if (!Array.isArray(h.classes) || h.classes.length === 0)
      return fail(
        `head "${h.name}" needs at least one class in "classes"`,
        start(['heads', i, 'classes']),
        'list its classes, e.g. "classes": ["cat", "dog"] (one class: a binary yes/no head)',
      );
    const earlier = names.get(h.name);
    if (earlier !== undefined) {
      const was = lines.linePos(start(['heads', earlier, 'name']));
      return fail(
        `head name "${h.name}" repeats heads[${earlier}] (line ${was.line}:${was.col})`,
        start(['heads', i, 'name']),
        'give every head its own name (metrics and outputs are keyed by it)',
      );
    }
    names.set(h.name, i);
    const seen = new Map<string, number>();
    h.classes.forEach((c, k) => {
      if (typeof c !== 'string' || c === '')
        return fail(`class ${k} of head "${h.name}" must be a non-empty string`, start(['heads', i, 'classes', k]));
      const dup = seen.get(c);
      if (dup !== undefined)
        return fail(
          `class "${c}" repeats in head "${h.name}" (classes[${dup}] and classes[${k}])`,
          start(['heads', i, 'classes', k]),
          'give every class of a head its own name (labels are class indices)',
        );
      seen.set(c, k);
    });
  });
  return heads;
}

const SHAPE = 'classes.json is {"heads": [{"name": "digit", "classes": ["0", "1", …]}, …]}';
