/**
 * `writeFolder(final, force, write)`: a command's output folder written in a temp folder beside it
 * and renamed into place only when `write` succeeded, so a failed or interrupted command leaves no
 * half-written folder. An existing non-empty folder is replaced only with `force`.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

export async function writeFolder<T>(
  final: string,
  options: { force?: boolean; owner: string },
  write: (temp: string) => Promise<T>,
): Promise<T> {
  const abs = path.resolve(final);
  if (!options.force && existsSync(abs) && readdirSync(abs).length > 0) {
    throw new ConfigError(`${final} exists (${options.owner})`, {
      hint: 'pass --out <dir> to write elsewhere, or --force to replace it',
    });
  }
  const temp = `${abs}.tmp-${process.pid}`;
  try {
    const result = await write(temp);
    rmSync(abs, { recursive: true, force: true });
    renameSync(temp, abs);
    return result;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
