/**
 * Content hashes of files and folders, with a stat index (`.mlc/stat-index.json`:
 * relative path → inode, mtime, size, hash) so unchanged files are not read again.
 * A folder's hash is the hash of its sorted `(relative path, file hash)` list.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.ts';

type Entry = [ino: number, mtimeMs: number, size: number, hash: string];

/** Files modified this recently are hashed but not indexed (their mtime may not change on the next write). */
const RACY_MS = 2000;

/** sha256 of a buffer or string, hex. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface DirEntryHash {
  /** Path relative to the folder, posix. */
  rel: string;
  hash: string;
}

export class HashIndex {
  private readonly root: string;
  private readonly file: string;
  private entries: Record<string, Entry> = {};
  private dirty = false;

  /**
   * @param root folder that relative paths resolve against (the pipeline folder).
   * @param file the index file. Defaults to `<root>/.mlc/stat-index.json`.
   */
  constructor(root: string, file = path.join(root, '.mlc', 'stat-index.json')) {
    this.root = root;
    this.file = file;
    try {
      this.entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
    } catch {
      this.entries = {};
    }
  }

  /** Hash of a file or folder (relative to root or absolute); null when it does not exist. */
  hash(rel: string): string | null {
    const abs = path.resolve(this.root, rel);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch {
      return null;
    }
    if (st.isDirectory()) return sha256(this.listDir(abs).map((e) => `${e.rel}\0${e.hash}\n`).join(''));
    return this.fileHash(abs, st);
  }

  /** The files of a folder with their hashes, sorted by relative path. */
  listDir(absDir: string): DirEntryHash[] {
    const out: DirEntryHash[] = [];
    const base = path.relative(this.root, absDir);
    const keyPrefix = base === '' ? '' : `${base.split(path.sep).join('/')}/`;
    // Plain string joins: this loop runs once per input file on every run.
    const walk = (dir: string, prefix: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${d.name}` : d.name;
        const abs = `${dir}/${d.name}`;
        if (d.isDirectory()) walk(abs, rel);
        else if (d.isFile() || d.isSymbolicLink()) {
          const st = statSync(abs, { throwIfNoEntry: false });
          if (st?.isFile()) out.push({ rel, hash: this.hashWithKey(abs, st, keyPrefix + rel) });
          else if (st?.isDirectory()) walk(abs, rel);
        }
      }
    };
    walk(absDir, '');
    return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  /** Hash of one file, from the index when inode, mtime and size match. */
  fileHash(abs: string, st: Stats = statSync(abs)): string {
    return this.hashWithKey(abs, st, path.relative(this.root, abs).split(path.sep).join('/'));
  }

  private hashWithKey(abs: string, st: Stats, key: string): string {
    const e = this.entries[key];
    if (e !== undefined && e[0] === st.ino && e[1] === st.mtimeMs && e[2] === st.size) return e[3];
    const hash = sha256(readFileSync(abs));
    if (Date.now() - st.mtimeMs > RACY_MS) {
      this.entries[key] = [st.ino, st.mtimeMs, st.size, hash];
      this.dirty = true;
    } else if (e) {
      delete this.entries[key];
      this.dirty = true;
    }
    return hash;
  }

  /** Writes the index if anything changed. */
  save(): void {
    if (!this.dirty) return;
    writeFileAtomic(this.file, JSON.stringify(this.entries));
    this.dirty = false;
  }
}
