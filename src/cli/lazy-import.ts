/**
 * Imports a module of another part of mlc-pipe on demand (path from the package root), so a
 * command's heavy code loads only when the command runs.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MlcPipeError } from '../errors.ts';
import { fromPackageRoot } from '../package-root.ts';
import { ensureTsx } from '../stage/tsx.ts';

/** Imports `rel` (from the package root); a clear error naming `command` when it is not there. */
export async function lazyImport<T>(rel: string, command: string): Promise<T> {
  const abs = fromPackageRoot(rel);
  if (!existsSync(abs)) throw new MlcPipeError(`\`${command}\` is not available in this build (${rel} is missing)`, { hint: 'update mlc-pipe' });
  await ensureTsx();
  return (await import(pathToFileURL(abs).href)) as T;
}
