/**
 * The lock file: what each stage last ran with and produced. YAML, one per pipeline,
 * beside it (`pipelines/x.yaml` → `pipelines/x.mlc.lock`), written atomically.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../errors.ts';
import { writeFileAtomic } from '../atomic.ts';

export interface LockEntry {
  /** Code identity hash. */
  code: string;
  /** The values of the stage's declared environment variables that were set (part of `code`); absent when none was. */
  environment?: Record<string, string>;
  /** Resolved params (after defaults). */
  params: Record<string, unknown>;
  /** Input path → content hash. */
  inputs: Record<string, string | null>;
  /** Output path → content hash. */
  outputs: Record<string, string>;
  /** What `run` returned. */
  metrics?: Record<string, number | string | null>;
  /** ISO time the outputs were produced or restored. */
  at?: string;
}

export interface LockFile {
  version: 1;
  stages: Record<string, LockEntry>;
}

/** Where the lock of pipeline `file` lives. */
export function lockPathFor(file: string): string {
  const abs = path.resolve(file);
  return path.join(path.dirname(abs), `${path.basename(abs).replace(/\.[^.]+$/, '')}.mlc.lock`);
}

/** Reads a lock file; a missing file is an empty lock. */
export function readLock(file: string): LockFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { version: 1, stages: {} };
  }
  try {
    const data = parse(text) as LockFile | null;
    return { version: 1, stages: data?.stages ?? {} };
  } catch (err) {
    throw new ConfigError(`cannot parse lock file ${file}: ${(err as Error).message}`, {
      cause: err,
      hint: 'delete it to rebuild every stage',
    });
  }
}

/** Writes a lock file atomically, stages sorted by id. */
export function writeLock(file: string, lock: LockFile): void {
  const stages: Record<string, LockEntry> = {};
  for (const id of Object.keys(lock.stages).sort()) stages[id] = lock.stages[id]!;
  writeFileAtomic(
    file,
    `# mlc-pipe lock file: written by \`mlc-pipe run\`, do not edit\n${stringify({ version: 1, stages }, { lineWidth: 0 })}`,
  );
}
