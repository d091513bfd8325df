/**
 * The run-cache: outputs stored by content in `.mlc/cache/<aa>/<hash>` (files; a folder is a
 * manifest `<aa>/<hash>.dir` listing its files), and runs in `.mlc/cache/runs/<key>.json`
 * keyed by (code, params, inputs). A key seen before restores the outputs without running.
 *
 * Nothing in the store is trusted on the way out: every object restored is hash-checked (the copy
 * that is about to be moved into place, so what lands is what was verified); a mismatch removes
 * the object and the restore reports it, so the stage runs instead. Objects go in through a temp
 * name and a rename after their content is checked against the hash they are stored under, so a
 * killed or short copy never leaves a valid-looking object.
 */
import {
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { MlcPipeError } from '../../errors.ts';
import { moveIntoPlace, writeFileAtomic } from '../atomic.ts';
import { hashFile, listingHash, type DirEntryHash, type HashIndex } from '../hash/hash-index.ts';
import { stableStringify } from '../../stable-json.ts';
import { checkoutRun } from './checkout.ts';
import { listStore, objectPath, parseManifest, runPath, tempBeside } from './layout.ts';
import { StoreIntegrityError, type RestoreResult, type RunRecord, type Store, type StoredObjects } from './store.ts';

export { runCacheKey } from '../../host/run-key.ts';

export class RunCache implements Store {
  readonly dir: string;
  private readonly root: string;

  /**
   * @param root the pipeline folder (outputs are relative to it).
   * @param dir the store. Defaults to `<root>/.mlc/cache`.
   */
  constructor(root: string, dir = path.join(root, '.mlc', 'cache')) {
    this.root = root;
    this.dir = dir;
  }

  objectPath(hash: string, suffix = ''): string {
    return objectPath(this.dir, hash, suffix);
  }

  private runPath(key: string): string {
    return runPath(this.dir, key);
  }

  /** Every readable run record with its key (unreadable ones are skipped). */
  records(): Array<{ key: string; record: RunRecord }> {
    const dir = path.join(this.dir, 'runs');
    const out: Array<{ key: string; record: RunRecord }> = [];
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push({
          key: name.slice(0, -5),
          record: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RunRecord,
        });
      } catch {
        // a half-written or foreign file: not a run
      }
    }
    return out;
  }

  /** Whether a run with this key was recorded. */
  has(key: string): boolean {
    return existsSync(this.runPath(key));
  }

  /** Copies `abs` into the store as `hash`, through a temp name, after checking the copy's hash. Returns whether it was new. */
  private storeFile(abs: string, hash: string): boolean {
    const dst = this.objectPath(hash);
    if (existsSync(dst)) return false;
    mkdirSync(path.dirname(dst), { recursive: true });
    const tmp = tempBeside(dst); // other machines may store the same object at the same moment
    try {
      copyFileSync(abs, tmp, constants.COPYFILE_FICLONE);
      const got = hashFile(tmp);
      if (got !== hash) {
        throw new MlcPipeError(
          `${path.relative(this.root, abs)} changed while it was being stored in the run-cache (expected sha256 ${hash.slice(0, 12)}…, stored copy has ${got.slice(0, 12)}…)`,
          {
            hint: 'something else wrote to the output while the stage finished; run the stage again',
          },
        );
      }
      renameSync(tmp, dst);
    } finally {
      rmSync(tmp, { force: true });
    }
    return true;
  }

  /**
   * Stores the content of outputs (output path → hash, already computed). Each is read from
   * `from[output]` when given (a temp path not yet moved into place), else from the output path.
   * Returns the objects that are new, so a failed recording can `discard` them.
   */
  store(outputs: Record<string, string>, index: HashIndex, from: Record<string, string> = {}): StoredObjects {
    const created: string[] = [];
    try {
      for (const [rel, hash] of Object.entries(outputs)) {
        const abs = from[rel] ?? path.resolve(this.root, rel);
        if (statSync(abs).isDirectory()) {
          const entries = index.listDir(abs);
          for (const e of entries)
            if (this.storeFile(path.join(abs, e.rel), e.hash)) created.push(this.objectPath(e.hash));
          if (listingHash(entries) !== hash)
            throw new MlcPipeError(`${rel} changed while it was being stored in the run-cache`, {
              hint: 'run the stage again',
            });
          const manifest = this.objectPath(hash, '.dir');
          if (!existsSync(manifest)) {
            writeFileAtomic(manifest, JSON.stringify(entries));
            created.push(manifest);
          }
        } else if (this.storeFile(abs, hash)) created.push(this.objectPath(hash));
      }
    } catch (err) {
      this.discard({ created });
      throw err;
    }
    return { created };
  }

  /** Run record `key`, or undefined when absent or unreadable. */
  getRecord(key: string): RunRecord | undefined {
    try {
      const r = JSON.parse(readFileSync(this.runPath(key), 'utf8')) as RunRecord;
      return r && typeof r.outputs === 'object' && r.outputs !== null ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keys of every recorded run, sorted. */
  runKeys(): string[] {
    return listStore(this.dir).runs.map((f) => path.basename(f, '.json'));
  }

  /** The manifest of folder `hash`; undefined when absent, StoreIntegrityError (and removed) when it does not match. */
  private manifest(hash: string): DirEntryHash[] | undefined {
    const file = this.objectPath(hash, '.dir');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const m = parseManifest(text);
    if (m && listingHash(m) === hash) return m;
    rmSync(file, { force: true });
    throw new StoreIntegrityError(`stored folder manifest ${file} does not match its hash; removed it`, {
      hint: 'the stage that produced it runs again',
    });
  }

  /** Whether content `hash` is wholly stored: a file, or a folder manifest and every file it lists. */
  hasObject(hash: string): boolean {
    if (existsSync(this.objectPath(hash))) return true;
    try {
      const m = this.manifest(hash);
      return m !== undefined && m.every((e) => existsSync(this.objectPath(e.hash)));
    } catch (err) {
      if (err instanceof StoreIntegrityError) return false;
      throw err;
    }
  }

  /** Copies file object `hash` to `dest` through a checked temp copy; a corrupt object is removed. */
  private fetchFile(hash: string, dest: string): void {
    mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = tempBeside(dest);
    try {
      copyFileSync(this.objectPath(hash), tmp, constants.COPYFILE_FICLONE);
      if (hashFile(tmp) !== hash) {
        rmSync(this.objectPath(hash), { force: true });
        throw new StoreIntegrityError(`stored object ${this.objectPath(hash)} does not match its sha256; removed it`, {
          hint: 'the stage that produced it runs again',
        });
      }
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Copies content `hash` (a file, or a folder built from its manifest) to `dest`, replacing it, each
   * file hash-checked. A corrupt object is removed and a StoreIntegrityError thrown.
   */
  fetchObject(hash: string, dest: string): void {
    if (existsSync(this.objectPath(hash))) return this.fetchFile(hash, dest);
    const m = this.manifest(hash);
    if (!m)
      throw new MlcPipeError(`content ${hash.slice(0, 12)}… is not in the store ${this.dir}`, {
        hint: 'run the stage that produces it (or push it) first',
      });
    const tmp = tempBeside(dest);
    try {
      mkdirSync(tmp, { recursive: true });
      for (const e of m) this.fetchFile(e.hash, path.join(tmp, e.rel));
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Records run `key` (its outputs already stored). Returns whether the record is new. */
  record(key: string, record: RunRecord): boolean {
    const isNew = !this.has(key);
    writeFileAtomic(this.runPath(key), stableStringify(record));
    return isNew;
  }

  /** Undoes a recording: removes the objects `store` created, and run `key` when given. */
  discard(stored: StoredObjects, key?: string): void {
    for (const f of stored.created) rmSync(f, { force: true });
    if (key !== undefined) rmSync(this.runPath(key), { force: true });
  }

  /** Stores the outputs and records the run under `key`. */
  save(key: string, record: RunRecord, index: HashIndex): void {
    const stored = this.store(record.outputs, index);
    try {
      this.record(key, record);
    } catch (err) {
      this.discard(stored);
      throw err;
    }
  }

  /** Restores the outputs of run `key` into place (`checkout`, then a move of each output). */
  restore(key: string): Exclude<RestoreResult, { status: 'checked-out' }> {
    const r = this.checkout(key);
    if (r.status !== 'checked-out') return r;
    for (const s of r.staged) moveIntoPlace(s.from, s.target);
    return { status: 'restored', record: r.record };
  }

  /**
   * Copies the outputs of run `key` to their temp paths, checking each copy's hash, so that either
   * every output can be replaced by verified content or none is touched (checkout.ts).
   */
  checkout(key: string): Exclude<RestoreResult, { status: 'restored' }> {
    return checkoutRun(this.root, this.dir, key);
  }
}
