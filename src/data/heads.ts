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
import { DataError } from '../errors.ts';

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

export async function readClassesFile(file: string): Promise<ClassesFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read classes file: ${(err as Error).message}`, { file }, { cause: err });
  }
  const heads = (json as ClassesFile)?.heads;
  if (!Array.isArray(heads) || heads.length === 0) {
    throw new DataError('expected {"heads": [{"name": …, "classes": [...]}, …]} with at least one head', { file });
  }
  heads.forEach((h, i) => {
    if (typeof h?.name !== 'string' || !Array.isArray(h.classes) || h.classes.length === 0) {
      throw new DataError(`heads[${i}] needs a "name" string and a non-empty "classes" array`, { file });
    }
  });
  return { heads };
}
