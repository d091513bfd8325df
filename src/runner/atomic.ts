/**
 * Atomic file writes and output moves: write beside the target, then rename.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `data` to `file` via a temp file in the same folder and a rename. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true }); // never leave a half-written temp (ENOSPC) behind
    throw err;
  }
}

/**
 * The temp path a stage writes output `abs` to: a hidden sibling, so the final rename stays on
 * one filesystem. Deterministic, so a later run can clean what a killed run left behind.
 */
export function tempOutputPath(abs: string): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.mlc-tmp`);
}

/** Where the previous version of output `abs` waits while a new one is recorded (a hidden sibling). */
export function previousOutputPath(abs: string): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.mlc-prev`);
}

/** Replaces `target` (file or folder) by `tmp`. */
export function moveIntoPlace(tmp: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}
