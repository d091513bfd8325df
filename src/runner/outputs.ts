/**
 * A stage's outputs around its run, so that nothing half-done is ever visible as done:
 *
 * - before: a module stage gets a fresh temp path per output (`.x.mlc-tmp`); a cmd stage writes in
 *   place, so its previous outputs are moved aside (`.x.mlc-prev`) first;
 * - after success: the outputs are hashed where they were written, then (run.ts) stored in the
 *   run-cache; only then `swapIntoPlace` moves a module stage's outputs into place, keeping the
 *   previous ones aside until the lock entry is written (`keep`), or putting them back (`undo`);
 * - after a failure: what the stage wrote goes to `.mlc/failed/<id>/`, the previous outputs back
 *   into place.
 *
 * A `.x.mlc-prev` left by a killed run is the recorded version: the next run of the stage puts it
 * back before starting.
 */
import { accessSync, constants, cpSync, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { StageError } from '../errors.ts';
import type { StageNode } from '../pipeline/types.ts';
import { outputPlace } from '../pipeline/inside-dir.ts';
import { previousOutputPath, tempOutputPath } from './atomic.ts';
import type { Workspace } from './workspace.ts';

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** `.mlc/failed/<stage id>`: where a failed stage's partial outputs are kept. */
export function failedDir(ws: Workspace, id: string): string {
  return path.join(ws.stateDir, 'failed', id);
}

/**
 * Throws a StageError when output `o` leads outside the working folder (a symbolic link made since
 * validation): nothing is deleted, replaced or restored through it.
 */
export function assertInside(ws: Workspace, node: StageNode, o: string): void {
  const place = outputPlace(ws.pipeline.dir, o);
  if (!place.inside) {
    throw new StageError(
      node.id,
      `output "${o}" leads outside the working folder (to ${place.resolved}); nothing was deleted or written there`,
      {
        hint: 'outputs must be inside the working folder: replace the symbolic link by a folder, or change the output path',
      },
    );
  }
}

/** The cause of a failed filesystem call on an output path, in words. */
export function fsCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOTDIR: 'not a folder (a file is in the way)',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EBUSY: 'busy (a mount point, or in use)',
    EISDIR: 'is a folder',
    EEXIST: 'already exists',
  };
  return (code && words[code]) ?? (err as Error).message;
}

/** The path a failed filesystem call names (the one that failed), else `fallback`. */
function failedPath(err: unknown, fallback: string): string {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  return e.path ?? e.dest ?? fallback;
}

/** A StageError saying which output path could not be prepared or moved, and why. */
export function outputError(node: StageNode, o: string, doing: string, abs: string, err: unknown): StageError {
  const where = failedPath(err, abs);
  return new StageError(node.id, `cannot ${doing} output "${o}": ${shownPath(where)}: ${fsCause(err)}`, {
    cause: err,
    hint:
      (err as NodeJS.ErrnoException).code === 'ENOTDIR'
        ? `a file stands where a folder of "${o}" must go: remove or rename it, or change the output path`
        : (err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT'
          ? 'free some space, then run again'
          : "make the output's folder writable (a writable mount, not a mount point itself), or change the output path",
  });
}

/**
 * Clears what a killed run may have left, moves a cmd stage's previous outputs aside, and returns
 * the temp path of each module-stage output. An output that leads outside the working folder, or
 * whose folder cannot be made, is a StageError naming the path and the cause.
 */
export function prepareOutputs(ws: Workspace, node: StageNode): Record<string, string> {
  const temps: Record<string, string> = {};
  for (const o of node.outputs) assertInside(ws, node, o);
  const movedAside: string[] = [];
  for (const o of node.outputs) {
    const abs = path.resolve(ws.pipeline.dir, o);
    try {
      try {
        mkdirSync(path.dirname(abs), { recursive: true });
      } catch (err) {
        // mkdir -p says EEXIST when a file stands where a folder must go: that is "not a folder".
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') (err as NodeJS.ErrnoException).code = 'ENOTDIR';
        throw err;
      }
      accessSync(path.dirname(abs), constants.W_OK); // a read-only mount says EROFS here, not halfway through the stage
      if (isMountPoint(abs)) throw Object.assign(new Error(`${abs} is a mount point`), { code: 'EBUSY', path: abs });
      const prev = previousOutputPath(abs);
      if (exists(prev)) {
        rmSync(abs, { recursive: true, force: true });
        renameSync(prev, abs);
      }
      if (node.kind === 'module') {
        const tmp = tempOutputPath(abs);
        rmSync(tmp, { recursive: true, force: true });
        temps[o] = tmp;
      } else if (exists(abs)) {
        renameSync(abs, prev); // a cmd stage writes in place: it never sees (or leaves) stale outputs
        movedAside.push(abs);
      }
    } catch (err) {
      for (const a of movedAside) renameSync(previousOutputPath(a), a); // the recorded outputs stay in place
      throw outputError(node, o, 'prepare', abs, err);
    }
  }
  return temps;
}

/** A folder that is another filesystem's root: it cannot be replaced by a rename (EBUSY). */
function isMountPoint(abs: string): boolean {
  try {
    const st = lstatSync(abs);
    return st.isDirectory() && st.dev !== lstatSync(path.dirname(abs)).dev;
  } catch {
    return false;
  }
}

/**
 * Where each output of a finished stage was written: its temp path (module stage) or the output
 * path (cmd stage; or a module stage that wrote in place after `startedMs`, which `log` is told
 * about). Throws a StageError for a declared output that was not written.
 */
export function writtenOutputs(
  ws: Workspace,
  node: StageNode,
  temps: Record<string, string>,
  startedMs: number,
  log: (l: string) => void,
): Record<string, string> {
  const where: Record<string, string> = {};
  for (const o of node.outputs) {
    const abs = path.resolve(ws.pipeline.dir, o);
    const tmp = temps[o];
    if (tmp !== undefined && exists(tmp)) where[o] = tmp;
    else if (tmp === undefined && exists(abs)) where[o] = abs;
    else if (tmp !== undefined && exists(abs) && lstatSync(abs).ctimeMs >= startedMs - 1000) {
      log(`# warning: ${o} was written in place, not through ctx.out("${o}"); it is not atomic`);
      where[o] = abs;
    } else {
      throw new StageError(node.id, `finished without writing its declared output "${o}"`, {
        hint:
          node.kind === 'module'
            ? `write it to ctx.out(${JSON.stringify(o)})`
            : 'make the command write it, or remove it from outs',
      });
    }
  }
  return where;
}

/** Outputs moved into place, the previous ones kept aside until `keep` (drop them) or `undo` (put them back). */
export interface Swap {
  keep(): void;
  undo(): void;
}

/**
 * Moves each `from` (a temp path) to its `target`, the existing target to its `.mlc-prev` path
 * first. A cmd stage's outputs are already in place: its swap only finishes what prepareOutputs
 * began. On a failure halfway everything moved so far is put back.
 */
export function swapIntoPlace(moves: { from: string; target: string }[], cmdTargets: string[] = []): Swap {
  const done: { from: string; target: string; hadPrev: boolean }[] = [];
  const undo = () => {
    for (const m of done.reverse()) {
      if (exists(m.target)) renameSync(m.target, m.from);
      if (m.hadPrev) renameSync(previousOutputPath(m.target), m.target);
    }
    done.length = 0;
  };
  try {
    for (const { from, target } of moves) {
      if (from === target) continue;
      const prev = previousOutputPath(target);
      rmSync(prev, { recursive: true, force: true });
      const hadPrev = exists(target);
      if (hadPrev) renameSync(target, prev);
      done.push({ from, target, hadPrev });
      renameSync(from, target);
    }
  } catch (err) {
    undo();
    throw err;
  }
  return {
    keep: () => {
      for (const m of done) rmSync(previousOutputPath(m.target), { recursive: true, force: true });
      for (const t of cmdTargets) rmSync(previousOutputPath(t), { recursive: true, force: true });
      done.length = 0;
    },
    undo,
  };
}

/** A path as the user can type it: relative to the current folder when inside it, else absolute. */
export function shownPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/**
 * After a failure nothing is lost: the temp outputs of a module stage, and the in-place outputs of
 * a cmd stage, move to `.mlc/failed/<id>/<output path>` (replacing what an earlier failure kept),
 * never into place, the lock or the run-cache; a cmd stage's previous outputs go back into place.
 * Returns the output paths kept.
 */
export function keepFailedOutputs(ws: Workspace, node: StageNode, temps: Record<string, string>): string[] {
  const dir = failedDir(ws, node.id);
  const kept: string[] = [];
  let cleared = false;
  for (const o of node.outputs) {
    const abs = path.resolve(ws.pipeline.dir, o);
    const from = node.kind === 'module' ? temps[o] : abs;
    if (from !== undefined && exists(from)) {
      if (!cleared) {
        rmSync(dir, { recursive: true, force: true });
        cleared = true;
      }
      const to = path.join(dir, o);
      mkdirSync(path.dirname(to), { recursive: true });
      try {
        renameSync(from, to);
      } catch {
        cpSync(from, to, { recursive: true }); // another filesystem
        rmSync(from, { recursive: true, force: true });
      }
      kept.push(o);
    }
    const prev = previousOutputPath(abs);
    if (node.kind === 'cmd' && exists(prev) && !exists(abs)) renameSync(prev, abs);
  }
  return kept;
}
