/**
 * Content hashes of files and folders, with a stat index (`.mlc/stat-index.json`:
 * relative path → inode, mtime, size, hash) so unchanged files are not read again.
 * A folder's hash is the hash of its sorted `(relative path, file hash)` list.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { DataError, PreflightError } from '../../errors.ts';
import { writeFileAtomic } from '../atomic.ts';

/** A DataError for a path that cannot be read (keeps the errno error as cause). */
function unreadable(abs: string, err: unknown): DataError {
  if (err instanceof DataError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const what =
    code === 'ELOOP'
      ? 'a symlink loop (too many levels of symbolic links)'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : (code ?? (err as Error).message);
  return new DataError(
    `cannot read ${abs}: ${what}`,
    { file: abs },
    {
      cause: err,
      hint: code === 'ELOOP' ? 'remove or fix the symbolic link' : 'check that the path exists and is readable',
    },
  );
}

type Entry = [ino: number, mtimeMs: number, size: number, hash: string];

/** Files modified this recently are hashed but not indexed (their mtime may not change on the next write). */
const RACY_MS = 2000;

/** sha256 of a buffer or string, hex. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file's content, hex, read in 1 MiB chunks (no whole-file buffer). */
const chunk = Buffer.allocUnsafe(1 << 20);
export function hashFile(abs: string): string {
  const h = createHash('sha256');
  const buf = chunk; // synchronous use only, so one buffer serves every call
  const fd = openSync(abs, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** A name's bytes with each byte outside printable ASCII as \xHH: what a non-UTF-8 name really holds. */
function escapedName(bytes: Buffer): string {
  return [...bytes]
    .map((b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/**
 * A name read with U+FFFD in it: when its bytes are not UTF-8 (a Latin-1 `café.jpg`), the decoded
 * name names no file, and every later step would fail with a misleading ENOENT. Refused before
 * anything runs (exit 2), the name shown escaped, with the fix.
 */
function refuseNonUtf8Name(dir: string, decoded: string): void {
  for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
    if (raw.toString('utf8') !== decoded || Buffer.from(decoded, 'utf8').equals(raw)) continue; // a real U+FFFD is fine
    throw new PreflightError(
      `file name is not UTF-8: "${escapedName(raw)}" (bytes shown as \\xHH)`,
      { file: `${dir}/${escapedName(raw)}` },
      {
        hint: `rename it with a UTF-8 name (e.g. \`convmv -f latin1 -t utf8 --notest -r ${dir}\`), or move it out of the input folder`,
      },
    );
  }
}

/** Hash of a folder: of its sorted `(relative path, file hash)` list. */
export function listingHash(entries: readonly DirEntryHash[]): string {
  return sha256(entries.map((e) => `${e.rel}\0${e.hash}\n`).join(''));
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

  /**
   * Hash of a file or folder (relative to root or absolute); null when it does not exist.
   * Throws a DataError naming the path for what cannot be read (a symlink loop, no permission).
   */
  hash(rel: string): string | null {
    const abs = path.resolve(this.root, rel);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
        return null;
      throw unreadable(abs, err);
    }
    if (st.isDirectory()) return listingHash(this.listDir(abs));
    try {
      return this.fileHash(abs, st);
    } catch (err) {
      throw unreadable(abs, err);
    }
  }

  /**
   * The files of a folder with their hashes, sorted by relative path. Symlinks are followed; one
   * that leads back into a folder being walked is a DataError (the walk would never end).
   */
  listDir(absDir: string): DirEntryHash[] {
    const out: DirEntryHash[] = [];
    const base = path.relative(this.root, absDir);
    const keyPrefix = base === '' ? '' : `${base.split(path.sep).join('/')}/`;
    const open = new Map<string, string>(); // dev:ino of the folders on the walk's path → their path
    // Plain string joins: this loop runs once per input file on every run.
    const walk = (dir: string, prefix: string, st: Stats) => {
      const id = `${st.dev}:${st.ino}`;
      const ancestor = open.get(id);
      if (ancestor !== undefined) {
        throw new DataError(
          `symlink loop: ${dir} leads back to ${ancestor}`,
          { file: dir },
          {
            hint: 'remove or fix the symbolic link; a folder must not contain a link to itself or to a folder above it',
          },
        );
      }
      open.set(id, dir);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        throw unreadable(dir, err);
      }
      for (const d of entries) {
        if (d.name.includes('\uFFFD')) refuseNonUtf8Name(dir, d.name);
        const rel = prefix ? `${prefix}/${d.name}` : d.name;
        const abs = `${dir}/${d.name}`;
        if (d.isFile() && !d.isSymbolicLink()) {
          out.push({ rel, hash: this.hashChecked(abs, keyPrefix + rel) });
          continue;
        }
        if (!d.isDirectory() && !d.isSymbolicLink()) continue; // sockets, fifos, devices
        let sub: Stats | undefined;
        try {
          sub = statSync(abs, { throwIfNoEntry: false });
        } catch (err) {
          throw unreadable(abs, err);
        }
        if (sub?.isFile()) out.push({ rel, hash: this.hashChecked(abs, keyPrefix + rel, sub) });
        else if (sub?.isDirectory()) walk(abs, rel, sub);
      }
      open.delete(id);
    };
    let top: Stats;
    try {
      top = statSync(absDir);
    } catch (err) {
      throw unreadable(absDir, err);
    }
    walk(absDir, '', top);
    return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  private hashChecked(abs: string, key: string, st?: Stats): string {
    try {
      return this.hashWithKey(abs, st ?? statSync(abs), key);
    } catch (err) {
      throw unreadable(abs, err);
    }
  }

  /** Hash of one file, from the index when inode, mtime and size match. */
  fileHash(abs: string, st: Stats = statSync(abs)): string {
    return this.hashWithKey(abs, st, path.relative(this.root, abs).split(path.sep).join('/'));
  }

  private hashWithKey(abs: string, st: Stats, key: string): string {
    const e = this.entries[key];
    if (e !== undefined && e[0] === st.ino && e[1] === st.mtimeMs && e[2] === st.size) return e[3];
    const hash = hashFile(abs);
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
