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
import { randomBytes } from 'node:crypto';
import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlcPipeError } from '../../errors.ts';
import { outputPlace } from '../../pipeline/inside-dir.ts';
import { moveIntoPlace, tempOutputPath, writeFileAtomic } from '../atomic.ts';
import { hashFile, listingHash, sha256, type DirEntryHash, type HashIndex } from '../hash/hash-index.ts';
import { stableStringify } from '../../stable-json.ts';
import type { Store } from './store.ts';

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

export { runCacheKey } from '../../host/run-key.ts';

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

/** The files of one store, by kind. */
export interface StoreListing {
  objects: string[];
  manifests: string[];
  runs: string[];
  /** Temp files a killed write left behind. */
  temps: string[];
}

const OBJECT_NAME = /^[0-9a-f]{62}(\.dir)?$/;

/** Every file of the store at `dir` by kind (objects, folder manifests, runs, temp leftovers). */
export function listStore(dir: string): StoreListing {
  const out: StoreListing = { objects: [], manifests: [], runs: [], temps: [] };
  if (!existsSync(dir)) return out;
  for (const sub of readdirSorted(dir)) {
    const subDir = path.join(dir, sub);
    if (sub === 'runs') {
      for (const name of readdirSorted(subDir)) (name.endsWith('.json') ? out.runs : out.temps).push(path.join(subDir, name));
    } else if (/^[0-9a-f]{2}$/.test(sub)) {
      for (const name of readdirSorted(subDir)) {
        const file = path.join(subDir, name);
        if (!OBJECT_NAME.test(name)) out.temps.push(file);
        else if (name.endsWith('.dir')) out.manifests.push(file);
        else out.objects.push(file);
      }
    }
  }
  return out;
}

function readdirSorted(dir: string): string[] {
  try {
    return statSync(dir).isDirectory() ? readdirSync(dir).sort() : [];
  } catch {
    return [];
  }
}

/** The hash an object file is stored under (`<aa>/<rest>` → `aa` + `rest`, `.dir` stripped). */
export function objectHash(file: string): string {
  return path.basename(path.dirname(file)) + path.basename(file).replace(/\.dir$/, '');
}

/** Parses a folder manifest; undefined when it is not a list of `{ rel, hash }`. */
export function parseManifest(text: string): DirEntryHash[] | undefined {
  try {
    const m = JSON.parse(text) as unknown;
    if (!Array.isArray(m) || !m.every((e) => e && typeof e.rel === 'string' && typeof e.hash === 'string' && /^[0-9a-f]{64}$/.test(e.hash))) return undefined;
    return m as DirEntryHash[];
  } catch {
    return undefined;
  }
}

/** A stored object whose bytes do not match its hash (it has been removed from the store). */
export class StoreIntegrityError extends MlcPipeError {}

/** A temp name beside `file`, unique across the processes and machines that share its folder. */
function tempBeside(file: string): string {
  return `${file}.${os.hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

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
    return path.join(this.dir, hash.slice(0, 2), hash.slice(2) + suffix);
  }

  private runPath(key: string): string {
    return path.join(this.dir, 'runs', `${key}.json`);
  }

  /** Every readable run record with its key (unreadable ones are skipped). */
  records(): Array<{ key: string; record: RunRecord }> {
    const dir = path.join(this.dir, 'runs');
    const out: Array<{ key: string; record: RunRecord }> = [];
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push({ key: name.slice(0, -5), record: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RunRecord });
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
        throw new MlcPipeError(`${path.relative(this.root, abs)} changed while it was being stored in the run-cache (expected sha256 ${hash.slice(0, 12)}…, stored copy has ${got.slice(0, 12)}…)`, {
          hint: 'something else wrote to the output while the stage finished; run the stage again',
        });
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
          for (const e of entries) if (this.storeFile(path.join(abs, e.rel), e.hash)) created.push(this.objectPath(e.hash));
          if (listingHash(entries) !== hash) throw new MlcPipeError(`${rel} changed while it was being stored in the run-cache`, { hint: 'run the stage again' });
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
    throw new StoreIntegrityError(`stored folder manifest ${file} does not match its hash; removed it`, { hint: 'the stage that produced it runs again' });
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
        throw new StoreIntegrityError(`stored object ${this.objectPath(hash)} does not match its sha256; removed it`, { hint: 'the stage that produced it runs again' });
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
    if (!m) throw new MlcPipeError(`content ${hash.slice(0, 12)}… is not in the store ${this.dir}`, { hint: 'run the stage that produces it (or push it) first' });
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
   * every output can be replaced by verified content or none is touched. A corrupt object (or
   * record) is removed from the store. The caller moves the copies into place.
   */
  checkout(key: string): Exclude<RestoreResult, { status: 'restored' }> {
    let text: string;
    try {
      text = readFileSync(this.runPath(key), 'utf8');
    } catch {
      return { status: 'missing' };
    }
    let record: RunRecord;
    try {
      record = JSON.parse(text) as RunRecord;
      if (!record || typeof record.outputs !== 'object' || record.outputs === null) throw new Error('no outputs');
    } catch {
      rmSync(this.runPath(key), { force: true });
      return { status: 'corrupt', problem: `run-cache record ${path.relative(this.root, this.runPath(key))} is unreadable; removed it` };
    }
    const plans: { rel: string; hash: string; manifest?: DirEntryHash[] }[] = [];
    for (const [rel, hash] of Object.entries(record.outputs)) {
      // Nothing is restored through a path that leads outside the working folder (a damaged record, or a link made since).
      const place = outputPlace(this.root, rel);
      if (!place.inside) return { status: 'corrupt', problem: `run-cache record ${path.relative(this.root, this.runPath(key))} names output "${rel}", which leads outside the working folder (to ${place.resolved}); not restored` };
      const dir = this.objectPath(hash, '.dir');
      if (existsSync(dir)) {
        const manifest = parseManifest(readFileSync(dir, 'utf8'));
        if (!manifest || listingHash(manifest) !== hash) {
          rmSync(dir, { force: true });
          return { status: 'corrupt', problem: `run-cache folder manifest ${path.relative(this.root, dir)} of ${rel} does not match its hash; removed it` };
        }
        if (!manifest.every((e) => existsSync(this.objectPath(e.hash)))) return { status: 'missing' };
        plans.push({ rel, hash, manifest });
      } else if (existsSync(this.objectPath(hash))) plans.push({ rel, hash });
      else return { status: 'missing' };
    }
    const staged: { from: string; target: string }[] = [];
    const copyChecked = (hash: string, dst: string, rel: string): string | undefined => {
      copyFileSync(this.objectPath(hash), dst, constants.COPYFILE_FICLONE);
      if (hashFile(dst) === hash) return undefined;
      rmSync(this.objectPath(hash), { force: true });
      return `run-cache object ${path.relative(this.root, this.objectPath(hash))} (${rel}) does not match its sha256; removed it`;
    };
    let problem: string | undefined;
    try {
      for (const p of plans) {
        const target = path.resolve(this.root, p.rel);
        const tmp = tempOutputPath(target);
        rmSync(tmp, { recursive: true, force: true });
        mkdirSync(path.dirname(target), { recursive: true });
        staged.push({ from: tmp, target });
        if (p.manifest) {
          mkdirSync(tmp, { recursive: true });
          for (const e of p.manifest) {
            const dst = path.join(tmp, e.rel);
            mkdirSync(path.dirname(dst), { recursive: true });
            problem ??= copyChecked(e.hash, dst, `${p.rel}/${e.rel}`);
          }
        } else problem ??= copyChecked(p.hash, tmp, p.rel);
        if (problem) break;
      }
    } catch (err) {
      problem = `cannot restore from the run-cache: ${(err as Error).message}`;
    }
    if (problem) {
      for (const s of staged) rmSync(s.from, { recursive: true, force: true });
      return { status: 'corrupt', problem };
    }
    return { status: 'checked-out', record, staged };
  }
}
