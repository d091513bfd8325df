/**
 * Cache of the resolved pipeline (`.mlc/resolved.json`): the validated, expanded stages with
 * params defaults filled in and inputs/outputs derived. Valid while the pipeline text, the `-S`
 * overrides, the built-in registry and every stage module's import closure (checked by stat
 * through the code index) are unchanged. A hit skips ajv, TypeBox and importing stage modules,
 * which is most of an all-cached run's time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_STAGES } from '../../../stages/registry.ts';
import type { Pipeline, PipelineExecution, StageNode } from '../../pipeline/types.ts';
import { siblingStamp } from '../../pipeline/output-owners.ts';
import { pipelineFileDir } from '../../pipeline/wdir.ts';
import { writeFileAtomic } from '../atomic.ts';
import type { CodeIdentity } from '../hash/code-identity.ts';
import { sha256 } from '../hash/hash-index.ts';
import { stableStringify } from '../../stable-json.ts';

interface Entry {
  key: string;
  name: string;
  /** Absolute working folder. */
  dir: string;
  stages: StageNode[];
  execution: PipelineExecution;
}

function cacheFile(stateDir: string, file: string): string {
  return path.join(stateDir, 'resolved', `${path.basename(file)}.json`);
}

/** Key of a pipeline text with its overrides. */
export function resolveKey(file: string, text: string, overrides: readonly string[]): string {
  // The other pipeline files beside it: a new or changed one may now share an output (validated again).
  return sha256(
    stableStringify({
      v: 4,
      file: path.resolve(file),
      text,
      overrides,
      registry: BUILTIN_STAGES,
      siblings: siblingStamp(file),
    }),
  );
}

/** The cached resolved pipeline, or undefined when stale or absent. */
export function readResolved(stateDir: string, file: string, key: string, code: CodeIdentity): Pipeline | undefined {
  let e: Entry;
  try {
    e = JSON.parse(readFileSync(cacheFile(stateDir, file), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (e.key !== key) return undefined;
  for (const s of e.stages) if (s.kind === 'module' && !code.isFresh(s.modulePath)) return undefined;
  return {
    file,
    dir: e.dir,
    fileDir: pipelineFileDir(file),
    name: e.name,
    stages: e.stages,
    execution: e.execution ?? {},
    definitions: new Map(),
  };
}

/** Stores a freshly resolved pipeline (call after the code index knows its modules). */
export function writeResolved(stateDir: string, p: Pipeline, key: string): void {
  const entry: Entry = { key, name: p.name, dir: p.dir, stages: p.stages, execution: p.execution };
  writeFileAtomic(cacheFile(stateDir, p.file), JSON.stringify(entry));
}
