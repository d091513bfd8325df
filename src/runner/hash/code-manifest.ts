/**
 * Which files a stage's code identity covered, so that `status` can say which of them changed
 * behind `code changed`: for each code hash a stage ran with, `.mlc/code/<hash>.json` lists its
 * files with their content hashes (a module stage: its import closure; a cmd stage: its `code:`
 * files). Written once per code hash (content-addressed, never rewritten); a stage that ran before
 * this record existed just says `code changed`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StageNode } from '../../pipeline/types.ts';
import { writeFileAtomic } from '../atomic.ts';
import type { CodeIdentity } from './code-identity.ts';
import { sha256, type HashIndex } from './hash-index.ts';

interface Manifest {
  /** Absolute path → sha256 of its content (null: missing). */
  files: Record<string, string | null>;
}

function manifestPath(stateDir: string, code: string): string {
  return path.join(stateDir, 'code', `${code}.json`);
}

function read(stateDir: string, code: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(manifestPath(stateDir, code), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Records the files behind `code` (the stage's current code identity) unless already recorded. */
export function recordCodeManifest(
  ws: { stateDir: string; code: CodeIdentity; hashes: HashIndex; pipeline: { dir: string } },
  node: StageNode,
  code: string,
): void {
  const file = manifestPath(ws.stateDir, code);
  if (existsSync(file)) return;
  const files: Record<string, string | null> = {};
  if (node.kind === 'module') {
    for (const f of ws.code.closureFiles(node.modulePath)) {
      try {
        files[f] = sha256(readFileSync(f));
      } catch {
        files[f] = null;
      }
    }
  } else {
    for (const c of node.code) files[path.resolve(ws.pipeline.dir, c)] = ws.hashes.hash(c);
  }
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify({ files }));
  } catch {
    // a read-only .mlc: status just says `code changed`
  }
}

/**
 * The files that differ between the code identities `before` and `after`, relative to `base` when
 * inside it, `(new)`/`(removed)` marked; undefined when either was not recorded or no file
 * differs (a `version:` bump, a cmd line edit).
 */
export function changedCodeFiles(stateDir: string, before: string, after: string, base: string): string[] | undefined {
  const a = read(stateDir, before);
  const b = read(stateDir, after);
  if (!a || !b) return undefined;
  const shown = (f: string) => {
    const rel = path.relative(base, f);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : f;
  };
  const out: string[] = [];
  for (const f of Object.keys(b.files).sort()) {
    if (!(f in a.files)) out.push(`${shown(f)} (new)`);
    else if (a.files[f] !== b.files[f]) out.push(shown(f));
  }
  for (const f of Object.keys(a.files).sort()) if (!(f in b.files)) out.push(`${shown(f)} (removed)`);
  return out.length ? out : undefined;
}
