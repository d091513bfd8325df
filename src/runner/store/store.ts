/**
 * The content-addressed store: outputs by content hash and run records by run key, in the
 * layout of layout.ts. Its one implementation is `RunCache`, a folder: the working
 * folder's `.mlc/cache`, or a folder every machine mounts, which the bullmq executor and its
 * workers share and which `mlc-pipe push`/`pull` copy to and from.
 *
 * Every object is hash-checked on the way in (`store`) and on the way out (`checkout`,
 * `fetchObject`): a store never keeps, and never hands out, bytes that do not match their name.
 */
import { MlcPipeError } from '../../errors.ts';
import type { HashIndex } from '../hash/hash-index.ts';

export interface RunRecord {
  outputs: Record<string, string>;
  metrics?: Record<string, number | string | null>;
  /** Which run this was, for `mlc-pipe exp show --all` (absent in records written before). */
  stage?: string;
  /** Stage id before foreach/matrix expansion. */
  template?: string;
  /** Pipeline name (`name:` or the file's stem). */
  pipeline?: string;
  /** Resolved params. */
  params?: Record<string, unknown>;
  /** ISO time the run finished. */
  at?: string;
}

/** What `restore` found. */
export type RestoreResult =
  | { status: 'restored'; record: RunRecord }
  /** (checkout) Verified copies at each output's temp path, not yet moved into place. */
  | { status: 'checked-out'; record: RunRecord; staged: { from: string; target: string }[] }
  /** No record, or an object it needs is not in the store. */
  | { status: 'missing' }
  /** An object (or the record) failed its check and was removed; `problem` says which. */
  | { status: 'corrupt'; problem: string };

/** What `store` added: the objects that were not in the store before (for `discard`). */
export interface StoredObjects {
  created: string[];
}

/** A stored object whose bytes do not match its hash (it has been removed from the store). */
export class StoreIntegrityError extends MlcPipeError {}

export interface Store {
  /** The store folder (absolute), for messages. */
  readonly dir: string;
  /** Whether run `key` is recorded. */
  has(key: string): boolean;
  /** Run record `key`, or undefined when absent or unreadable. */
  getRecord(key: string): RunRecord | undefined;
  /** Records run `key`; store its outputs first. Returns whether the record is new. */
  record(key: string, record: RunRecord): boolean;
  /** Keys of every recorded run, sorted. */
  runKeys(): string[];
  /** Whether content `hash` is wholly stored: a file, or a folder manifest and every file it lists. */
  hasObject(hash: string): boolean;
  /**
   * Copies content `hash` (a file, or a folder built from its manifest) to `dest`, replacing it, each
   * file hash-checked before it is renamed into place. A corrupt object is removed and a
   * StoreIntegrityError thrown; a missing one throws a MlcPipeError.
   */
  fetchObject(hash: string, dest: string): void;
  /** Stores outputs (path → hash), read from `from[path]` or `<root>/<path>`; returns the objects that are new. */
  store(outputs: Record<string, string>, index: HashIndex, from?: Record<string, string>): StoredObjects;
  /** Copies run `key`'s outputs, hash-checked, to their temp paths under the store's root. */
  checkout(key: string): Exclude<RestoreResult, { status: 'restored' }>;
}
