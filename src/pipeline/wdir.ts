/**
 * The working folder of a pipeline (`wdir:`, as in DVC): stage paths, `.mlc/` and `logs/` are
 * relative to it. `wdir` itself is relative to the pipeline file's folder and defaults to `.`.
 * The lock file and `uses: ./x.ts` module paths stay relative to the pipeline file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fastParse, tooDeep } from './fast-parse.ts';

/** The absolute folder holding the pipeline file. */
export function pipelineFileDir(file: string): string {
  return path.dirname(path.resolve(file));
}

/** Absolute working folder for a `wdir` value (undefined or not a string: the file's folder). */
export function resolveWdir(file: string, wdir: unknown): string {
  return path.resolve(pipelineFileDir(file), typeof wdir === 'string' && wdir !== '' ? wdir : '.');
}

/**
 * Absolute working folder of pipeline `file`, read from its text (read from disk when not given).
 * Cheap (one YAML parse, the fast path when it can, no validation); an unreadable or unparsable
 * file gives the file's folder, and `loadPipeline` reports the problem.
 */
export function workingDir(file: string, text?: string): string {
  let raw: unknown;
  try {
    const source = text ?? readFileSync(file, 'utf8');
    const fast = fastParse(source);
    if (!fast && tooDeep(source)) return pipelineFileDir(file); // loadPipeline refuses it
    raw = fast ? fast.value : parse(source);
  } catch {
    return pipelineFileDir(file);
  }
  const wdir =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { wdir?: unknown }).wdir : undefined;
  return resolveWdir(file, wdir);
}
