/**
 * The built-in stages: name → module path relative to this folder. Modules are imported only
 * when a pipeline uses them (or `mlc-pipe stages` lists them), so this file stays cheap.
 */
import { existsSync } from 'node:fs';
import type { StageRegistry } from '../src/stage/define.ts';
import { fromPackageRoot } from '../src/package-root.ts';

export const BUILTIN_STAGES: Readonly<Record<string, string>> = Object.freeze({
  'make-dataset': './make-dataset.ts',
  'generate-txt': './generate-txt.ts',
  'check-labels': './check-labels.ts',
  'write-tfrecord': './write-tfrecord.ts',
  train: './train.ts',
  evaluate: './evaluate.ts',
  prune: './prune.ts',
  convert: './convert.ts',
});

/** Names of all built-in stages, in pipeline order. */
export function builtinStageNames(): string[] {
  return Object.keys(BUILTIN_STAGES);
}

/** Absolute path of a built-in stage module, or undefined for an unknown name. */
export function builtinStagePath(name: string): string | undefined {
  const rel = BUILTIN_STAGES[name];
  return rel === undefined ? undefined : fromPackageRoot('stages', rel);
}

/** The built-ins as the registry the pipeline loader is given. */
export const builtinStages: StageRegistry = Object.freeze({ names: builtinStageNames, path: builtinStagePath });

/** Whether the module file of a listed built-in exists (others may still be in development). */
export function builtinStageInstalled(name: string): boolean {
  const p = builtinStagePath(name);
  return p !== undefined && existsSync(p);
}
