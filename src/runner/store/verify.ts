/**
 * `mlc-pipe cache verify`: checks every file of a run-cache store. An object must hash to the
 * name it is stored under, a folder manifest must list files whose listing hashes to its name and
 * that are all stored, a run record must parse and name only stored outputs. Temp files a killed
 * write left behind are reported too. With `remove`, what fails is deleted (a later run then
 * reruns the stage instead of restoring it).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { hashFile, listingHash } from '../hash/hash-index.ts';
import { listStore, objectHash, parseManifest } from './layout.ts';
import type { RunRecord } from './store.ts';

export interface StoreProblem {
  /** Absolute path of the file. */
  file: string;
  problem: string;
}

export interface VerifyResult {
  cacheDir: string;
  /** Files checked (objects, manifests, runs). */
  checked: number;
  problems: StoreProblem[];
  /** Whether the problem files were removed. */
  removed: boolean;
}

export interface VerifyOptions {
  /** Delete every file that fails. Defaults to false. */
  remove?: boolean;
}

/** Verifies the store at `cacheDir` (e.g. `<working folder>/.mlc/cache`). */
export function verifyStore(cacheDir: string, options: VerifyOptions = {}): VerifyResult {
  const listing = listStore(cacheDir);
  const problems: StoreProblem[] = [];
  const bad = new Set<string>();
  const fail = (file: string, problem: string) => {
    problems.push({ file, problem });
    bad.add(file);
  };
  const objectFile = (hash: string, suffix = '') => path.join(cacheDir, hash.slice(0, 2), hash.slice(2) + suffix);

  for (const f of listing.objects) {
    let got: string;
    try {
      got = hashFile(f);
    } catch (err) {
      fail(f, `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    if (got !== objectHash(f)) fail(f, `content hashes to ${got.slice(0, 12)}…, not to its name`);
  }
  for (const f of listing.manifests) {
    const m = parseManifest(readText(f) ?? '');
    if (!m) fail(f, 'folder manifest is not a list of {rel, hash}');
    else if (listingHash(m) !== objectHash(f)) fail(f, 'folder manifest does not hash to its name');
    else {
      const lost = m.filter((e) => bad.has(objectFile(e.hash)) || !existsSync(objectFile(e.hash)));
      if (lost.length)
        fail(f, `${lost.length} of its ${m.length} files are missing or corrupt (first: ${lost[0]!.rel})`);
    }
  }
  for (const f of listing.runs) {
    let rec: RunRecord | undefined;
    try {
      rec = JSON.parse(readText(f) ?? '') as RunRecord;
    } catch {
      rec = undefined;
    }
    if (!rec || typeof rec.outputs !== 'object' || rec.outputs === null) {
      fail(f, 'run record is not JSON with "outputs"');
      continue;
    }
    for (const [out, hash] of Object.entries(rec.outputs)) {
      const file = objectFile(hash);
      const dir = objectFile(hash, '.dir');
      const stored = (existsSync(dir) && !bad.has(dir)) || (existsSync(file) && !bad.has(file));
      if (!stored) {
        fail(f, `output ${out} is missing or corrupt in the store`);
        break;
      }
    }
  }
  for (const f of listing.temps) fail(f, 'temp file left by an interrupted write');
  if (options.remove) for (const f of bad) rmSync(f, { force: true });
  return {
    cacheDir,
    checked: listing.objects.length + listing.manifests.length + listing.runs.length,
    problems,
    removed: options.remove === true,
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
