/**
 * Copying runs between stores (`mlc-pipe push` / `pull`, like DVC remotes): a run record travels
 * only after every object it names has arrived, each hash-checked on the way out of one store and
 * on the way into the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HashIndex } from '../hash/hash-index.ts';
import { StoreIntegrityError, type Store } from './store.ts';

export interface TransferCount {
  /** Runs copied. */
  runs: number;
  /** Runs the destination already had whole. */
  present: number;
  /** Run keys the source lacks (or holds incomplete). */
  missing: string[];
  /** Objects (files and folder manifests) copied. */
  objects: number;
  /** Run keys not copied because an object of theirs failed its hash check (removed from the source). */
  corrupt: string[];
}

/** Copies content `hash` (a file, or a folder and its files) from `from` to `to`; returns the objects that were new there. */
export function copyObject(from: Store, to: Store, hash: string): number {
  if (to.hasObject(hash)) return 0;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mlc-pipe-transfer-'));
  try {
    const copy = path.join(scratch, 'object');
    from.fetchObject(hash, copy);
    return to.store({ object: hash }, new HashIndex(scratch, path.join(scratch, 'index.json')), { object: copy })
      .created.length;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Copies the runs `keys` (with their outputs) from `from` to `to`. */
export function copyRuns(from: Store, to: Store, keys: Iterable<string>): TransferCount {
  const count: TransferCount = { runs: 0, present: 0, missing: [], objects: 0, corrupt: [] };
  for (const key of keys) {
    const theirs = to.getRecord(key);
    if (theirs && Object.values(theirs.outputs).every((h) => to.hasObject(h))) {
      count.present++;
      continue;
    }
    const record = from.getRecord(key);
    if (!record || !Object.values(record.outputs).every((h) => from.hasObject(h))) {
      count.missing.push(key);
      continue;
    }
    try {
      for (const h of Object.values(record.outputs)) count.objects += copyObject(from, to, h);
    } catch (err) {
      // A corrupt object (fetchObject removed it): this run is not copied, the others still are.
      if (!(err instanceof StoreIntegrityError)) throw err;
      count.corrupt.push(key);
      continue;
    }
    to.record(key, record);
    count.runs++;
  }
  return count;
}
