/**
 * The layout of a store folder: objects by content hash in `<aa>/<rest>` (a folder's manifest as
 * `<aa>/<rest>.dir`, listing `{ rel, hash }` of its files), run records in `runs/<key>.json`, and
 * temp names unique across the machines that share the folder.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DirEntryHash } from '../hash/hash-index.ts';

/** Where object `hash` (a file; with `suffix` `.dir` a folder manifest) lives in store `dir`. */
export function objectPath(dir: string, hash: string, suffix = ''): string {
  return path.join(dir, hash.slice(0, 2), hash.slice(2) + suffix);
}

/** Where run record `key` lives in store `dir`. */
export function runPath(dir: string, key: string): string {
  return path.join(dir, 'runs', `${key}.json`);
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
      for (const name of readdirSorted(subDir))
        (name.endsWith('.json') ? out.runs : out.temps).push(path.join(subDir, name));
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
    if (
      !Array.isArray(m) ||
      !m.every((e) => e && typeof e.rel === 'string' && typeof e.hash === 'string' && /^[0-9a-f]{64}$/.test(e.hash))
    )
      return undefined;
    return m as DirEntryHash[];
  } catch {
    return undefined;
  }
}

/** A temp name beside `file`, unique across the processes and machines that share its folder. */
export function tempBeside(file: string): string {
  return `${file}.${os.hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
