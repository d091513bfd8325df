/**
 * `mlc-pipe gc`: removes run-cache entries (`.mlc/cache/runs/<key>.json`) that no lock file
 * refers to, then every stored object (file, folder manifest) no remaining run or lock output
 * refers to. Pipelines sharing a working folder share its cache, so their locks are read together.
 *
 * A store that no lock file refers to (`gcOrphans`; the lock files were deleted, or a recording
 * failed before any lock was written) keeps every run record, since nothing says which runs are
 * still wanted, and loses only what no run record refers to: orphan objects and temp leftovers.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { workingDir } from '../../pipeline/wdir.ts';
import type { DirEntryHash } from '../hash/hash-index.ts';
import { lockPathFor, readLock } from '../lock/lock-file.ts';
import { acquireRunLock, holderAlive, parseHolder } from '../lock/pid-lock.ts';
import { runCacheKey } from './run-cache.ts';
import type { RunRecord } from './store.ts';

export interface GcOptions {
  /** Report what would go without removing anything. Defaults to false. */
  dryRun?: boolean;
}

/** What gc did to one cache. */
export interface GcResult {
  /** The store (`<working folder>/.mlc/cache`). */
  cacheDir: string;
  /** Pipeline files whose locks were read. */
  pipelines: string[];
  keptRuns: number;
  removedRuns: number;
  removedObjects: number;
  /** Bytes of the removed files. */
  freedBytes: number;
}

const LOCK_SUFFIX = '.mlc.lock';
const SKIP_DIRS = new Set(['node_modules', '.git', '.mlc']);

/**
 * Calls `visit(folder, entry)` for every entry of every folder under `root`, in name order,
 * descending into folders except node_modules, .git and .mlc.
 */
function walkTree(root: string, visit: (dir: string, e: Dirent) => void): void {
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      visit(dir, e);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(path.join(dir, e.name));
    }
  };
  walk(path.resolve(root));
}

/**
 * Pipeline files under `root` that have a lock file beside them (`x.yaml` + `x.mlc.lock`), found
 * recursively, skipping node_modules, .git and .mlc.
 */
export function findLockedPipelines(root: string): string[] {
  const found: string[] = [];
  walkTree(root, (dir, e) => {
    if (!e.isFile() || !e.name.endsWith(LOCK_SUFFIX)) return;
    const stem = e.name.slice(0, -LOCK_SUFFIX.length);
    const file = ['.yaml', '.yml'].map((ext) => path.join(dir, stem + ext)).find((f) => existsSync(f));
    if (file) found.push(file);
  });
  return found;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Garbage-collects the run-cache of each working folder the given pipeline files use. */
export function gcRunCache(pipelineFiles: readonly string[], options: GcOptions = {}): GcResult[] {
  const byCache = new Map<string, string[]>();
  for (const f of pipelineFiles) {
    const cacheDir = path.join(workingDir(f), '.mlc', 'cache');
    byCache.set(cacheDir, [...(byCache.get(cacheDir) ?? []), f]);
  }
  return [...byCache].map(([cacheDir, files]) => gcOne(cacheDir, files, options));
}

function gcOne(cacheDir: string, files: string[], options: GcOptions): GcResult {
  const result: GcResult = {
    cacheDir,
    pipelines: files,
    keptRuns: 0,
    removedRuns: 0,
    removedObjects: 0,
    freedBytes: 0,
  };
  if (!existsSync(cacheDir)) return result;
  // Never collect under a running pipeline: it stores objects before it records the run.
  const releases: Array<() => void> = [];
  try {
    if (!options.dryRun) for (const f of files) releases.push(acquireRunLock(path.dirname(cacheDir), f));
    collect(cacheDir, files, options, result);
  } finally {
    for (const release of releases) release();
  }
  return result;
}

/**
 * Stores (`.mlc/cache`) under `root` found recursively (skipping node_modules and .git), for
 * `gcOrphans` when no pipeline has a lock file.
 */
export function findCaches(root: string): string[] {
  const found: string[] = [];
  walkTree(root, (dir, e) => {
    const cache = path.join(dir, e.name, 'cache');
    if (e.isDirectory() && e.name === '.mlc' && existsSync(cache)) found.push(cache);
  });
  return found;
}

/**
 * Removes the objects no run record of the store refers to, and temp leftovers; keeps every run.
 * Skipped (`skipped` set) while a pipeline of that working folder is running.
 */
export function gcOrphans(cacheDir: string, options: GcOptions = {}): GcResult & { skipped?: string } {
  const result: GcResult & { skipped?: string } = {
    cacheDir,
    pipelines: [],
    keptRuns: 0,
    removedRuns: 0,
    removedObjects: 0,
    freedBytes: 0,
  };
  const stateDir = path.dirname(cacheDir);
  for (const name of existsSync(stateDir) ? readdirSync(stateDir) : []) {
    if (!name.endsWith('.run.pid')) continue;
    const text = (() => {
      try {
        return readFileSync(path.join(stateDir, name), 'utf8');
      } catch {
        return '';
      }
    })();
    const holder = parseHolder(text);
    if (holder && holderAlive(holder)) {
      result.skipped = `${name.slice(0, -'.run.pid'.length)} is being run by process ${holder.pid}`;
      return result;
    }
  }
  collect(cacheDir, undefined, options, result);
  return result;
}

/** `files` undefined: keep every run record (orphan collection). */
function collect(cacheDir: string, files: string[] | undefined, options: GcOptions, result: GcResult): void {
  const keepKeys = new Set<string>();
  const keepHashes = new Set<string>();
  for (const f of files ?? []) {
    for (const e of Object.values(readLock(lockPathFor(f)).stages)) {
      keepKeys.add(runCacheKey(e.code, e.params, e.inputs));
      for (const h of Object.values(e.outputs)) keepHashes.add(h);
    }
  }
  const objectPath = (hash: string, suffix = '') => path.join(cacheDir, hash.slice(0, 2), hash.slice(2) + suffix);
  const remove = (file: string) => {
    result.freedBytes += sizeOf(file);
    if (!options.dryRun) rmSync(file, { force: true });
  };

  const runsDir = path.join(cacheDir, 'runs');
  for (const name of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    const file = path.join(runsDir, name);
    if (name.endsWith('.json') && (files === undefined || keepKeys.has(name.slice(0, -'.json'.length)))) {
      result.keptRuns++;
      try {
        for (const h of Object.values((JSON.parse(readFileSync(file, 'utf8')) as RunRecord).outputs)) keepHashes.add(h);
      } catch {
        // an unreadable record keeps nothing alive; restore would miss on it anyway
      }
    } else {
      remove(file);
      if (name.endsWith('.json')) result.removedRuns++;
    }
  }

  // A kept folder output keeps its manifest and every file the manifest lists.
  const keepObjects = new Set<string>();
  for (const h of keepHashes) {
    const manifest = objectPath(h, '.dir');
    if (existsSync(manifest)) {
      keepObjects.add(manifest);
      try {
        for (const e of JSON.parse(readFileSync(manifest, 'utf8')) as DirEntryHash[])
          keepObjects.add(objectPath(e.hash));
      } catch {
        // a broken manifest: its files go
      }
    } else keepObjects.add(objectPath(h));
  }
  for (const sub of readdirSync(cacheDir, { withFileTypes: true })) {
    if (!sub.isDirectory() || sub.name === 'runs' || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
    const dir = path.join(cacheDir, sub.name);
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (keepObjects.has(file)) continue;
      remove(file);
      result.removedObjects++;
    }
    if (!options.dryRun && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  }
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]}`;
}
