/**
 * The run-cache: outputs stored by content in `.mlc/cache/<aa>/<hash>` (files; a folder is a
 * manifest `<aa>/<hash>.dir` listing its files), and runs in `.mlc/cache/runs/<key>.json`
 * keyed by (code, params, inputs). A key seen before restores the outputs without running.
 */
import { constants, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { moveIntoPlace, tempOutputPath, writeFileAtomic } from './atomic.ts';
import { sha256, type DirEntryHash, type HashIndex } from './hash-index.ts';
import { stableStringify } from './stable-json.ts';

export interface RunRecord {
  outputs: Record<string, string>;
  metrics?: Record<string, number | string | null>;
}

/** Key of a run: hash of code identity, params and input hashes. */
export function runCacheKey(code: string, params: Record<string, unknown>, inputs: Record<string, string | null>): string {
  return sha256(stableStringify({ code, params, inputs }));
}

export class RunCache {
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

  private objectPath(hash: string, suffix = ''): string {
    return path.join(this.dir, hash.slice(0, 2), hash.slice(2) + suffix);
  }

  private runPath(key: string): string {
    return path.join(this.dir, 'runs', `${key}.json`);
  }

  /** Whether a run with this key was recorded. */
  has(key: string): boolean {
    return existsSync(this.runPath(key));
  }

  private storeFile(abs: string, hash: string): void {
    const dst = this.objectPath(hash);
    if (existsSync(dst)) return;
    mkdirSync(path.dirname(dst), { recursive: true });
    const tmp = `${dst}.${process.pid}.tmp`;
    copyFileSync(abs, tmp, constants.COPYFILE_FICLONE);
    renameSync(tmp, dst);
  }

  /** Stores the outputs (already hashed in `outputs`) and records the run under `key`. */
  save(key: string, record: RunRecord, index: HashIndex): void {
    for (const [rel, hash] of Object.entries(record.outputs)) {
      const abs = path.resolve(this.root, rel);
      if (statSync(abs).isDirectory()) {
        const entries = index.listDir(abs);
        for (const e of entries) this.storeFile(path.join(abs, e.rel), e.hash);
        writeFileAtomic(this.objectPath(hash, '.dir'), JSON.stringify(entries));
      } else {
        this.storeFile(abs, hash);
      }
    }
    writeFileAtomic(this.runPath(key), stableStringify(record));
  }

  /**
   * Restores the outputs of run `key` into place (each through a temp path and a rename).
   * Returns the record, or undefined when the run or one of its objects is missing.
   */
  restore(key: string): RunRecord | undefined {
    let record: RunRecord;
    try {
      record = JSON.parse(readFileSync(this.runPath(key), 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
    const plans: { rel: string; hash: string; manifest?: DirEntryHash[] }[] = [];
    for (const [rel, hash] of Object.entries(record.outputs)) {
      const file = this.objectPath(hash);
      const dir = this.objectPath(hash, '.dir');
      if (existsSync(dir)) {
        const manifest = JSON.parse(readFileSync(dir, 'utf8')) as DirEntryHash[];
        if (!manifest.every((e) => existsSync(this.objectPath(e.hash)))) return undefined;
        plans.push({ rel, hash, manifest });
      } else if (existsSync(file)) plans.push({ rel, hash });
      else return undefined;
    }
    for (const p of plans) {
      const target = path.resolve(this.root, p.rel);
      const tmp = tempOutputPath(target);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(path.dirname(target), { recursive: true });
      if (p.manifest) {
        mkdirSync(tmp, { recursive: true });
        for (const e of p.manifest) {
          const dst = path.join(tmp, e.rel);
          mkdirSync(path.dirname(dst), { recursive: true });
          copyFileSync(this.objectPath(e.hash), dst, constants.COPYFILE_FICLONE);
        }
      } else {
        copyFileSync(this.objectPath(p.hash), tmp, constants.COPYFILE_FICLONE);
      }
      moveIntoPlace(tmp, target);
    }
    return record;
  }
}
