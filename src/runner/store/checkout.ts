/**
 * Checking a run out of a store: copies the outputs of run `key` to their temp paths, checking each
 * copy's hash, so that either every output can be replaced by verified content or none is touched.
 * A corrupt object (or record) is removed from the store; the caller moves the copies into place.
 */
import { constants, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { outputPlace } from '../../pipeline/inside-dir.ts';
import { tempOutputPath } from '../atomic.ts';
import { hashFile, listingHash, type DirEntryHash } from '../hash/hash-index.ts';
import { objectPath, parseManifest, runPath } from './layout.ts';
import type { RestoreResult, RunRecord } from './store.ts';

type Checkout = Exclude<RestoreResult, { status: 'restored' }>;
type Problem = Extract<RestoreResult, { status: 'missing' | 'corrupt' }>;

/** One output to restore: a file object, or a folder with its verified manifest. */
interface OutputPlan {
  rel: string;
  hash: string;
  manifest?: DirEntryHash[];
}

/**
 * Checks run `key` of the store `dir` out to the temp paths of its outputs under `root` (the
 * working folder its outputs are relative to).
 */
export function checkoutRun(root: string, dir: string, key: string): Checkout {
  const record = readRecord(root, dir, key);
  if ('status' in record) return record;
  const plans = planOutputs(root, dir, key, record);
  if (!Array.isArray(plans)) return plans;
  const staged: { from: string; target: string }[] = [];
  let problem: string | undefined;
  try {
    for (const p of plans) {
      const target = path.resolve(root, p.rel);
      const tmp = tempOutputPath(target);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(path.dirname(target), { recursive: true });
      staged.push({ from: tmp, target });
      problem = copyOutput(root, dir, p, tmp);
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

/** The record of run `key`; an unreadable one is removed and reported. */
function readRecord(root: string, dir: string, key: string): RunRecord | Problem {
  const file = runPath(dir, key);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { status: 'missing' };
  }
  try {
    const record = JSON.parse(text) as RunRecord;
    if (!record || typeof record.outputs !== 'object' || record.outputs === null) throw new Error('no outputs');
    return record;
  } catch {
    rmSync(file, { force: true });
    return { status: 'corrupt', problem: `run-cache record ${path.relative(root, file)} is unreadable; removed it` };
  }
}

/** What to copy for each output, once every object is known to be there (else missing, or corrupt). */
function planOutputs(root: string, dir: string, key: string, record: RunRecord): OutputPlan[] | Problem {
  const plans: OutputPlan[] = [];
  for (const [rel, hash] of Object.entries(record.outputs)) {
    // Nothing is restored through a path that leads outside the working folder (a damaged record, or a link made since).
    const place = outputPlace(root, rel);
    if (!place.inside)
      return {
        status: 'corrupt',
        problem: `run-cache record ${path.relative(root, runPath(dir, key))} names output "${rel}", which leads outside the working folder (to ${place.resolved}); not restored`,
      };
    const manifestFile = objectPath(dir, hash, '.dir');
    if (existsSync(manifestFile)) {
      const manifest = parseManifest(readFileSync(manifestFile, 'utf8'));
      if (!manifest || listingHash(manifest) !== hash) {
        rmSync(manifestFile, { force: true });
        return {
          status: 'corrupt',
          problem: `run-cache folder manifest ${path.relative(root, manifestFile)} of ${rel} does not match its hash; removed it`,
        };
      }
      if (!manifest.every((e) => existsSync(objectPath(dir, e.hash)))) return { status: 'missing' };
      plans.push({ rel, hash, manifest });
    } else if (existsSync(objectPath(dir, hash))) plans.push({ rel, hash });
    else return { status: 'missing' };
  }
  return plans;
}

/** Copies one output to `tmp`, each file hash-checked; returns the problem with the first bad object. */
function copyOutput(root: string, dir: string, p: OutputPlan, tmp: string): string | undefined {
  if (!p.manifest) return copyChecked(root, dir, p.hash, tmp, p.rel);
  mkdirSync(tmp, { recursive: true });
  for (const e of p.manifest) {
    const dst = path.join(tmp, e.rel);
    mkdirSync(path.dirname(dst), { recursive: true });
    const problem = copyChecked(root, dir, e.hash, dst, `${p.rel}/${e.rel}`);
    if (problem) return problem;
  }
  return undefined;
}

/** Copies object `hash` to `dst`; a copy that does not hash to its name removes the object and says so. */
function copyChecked(root: string, dir: string, hash: string, dst: string, rel: string): string | undefined {
  const object = objectPath(dir, hash);
  copyFileSync(object, dst, constants.COPYFILE_FICLONE);
  if (hashFile(dst) === hash) return undefined;
  rmSync(object, { force: true });
  return `run-cache object ${path.relative(root, object)} (${rel}) does not match its sha256; removed it`;
}
