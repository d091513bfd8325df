/** Recording a finished stage in the lock file, and the errors of moving its outputs into place. */
import path from 'node:path';
import { MlcPipeError, StageError } from '../../errors.ts';
import type { StageNode } from '../../pipeline/types.ts';
import { writeLock, type LockEntry } from '../lock/lock-file.ts';
import { outputError, shownPath } from '../outputs.ts';
import type { StageState } from '../plan/plan.ts';
import type { Workspace } from '../workspace.ts';

/** Writes the lock with `entry` for `id`; on failure the lock (in memory too) is left as it was. */
export function recordStage(ws: Workspace, id: string, entry: LockEntry): void {
  const before = ws.lock.stages[id];
  ws.lock.stages[id] = entry;
  try {
    for (const old of Object.keys(ws.lock.stages)) if (!ws.graph.stages.has(old)) delete ws.lock.stages[old]; // stages no longer in the pipeline
    writeLock(ws.lockFile, ws.lock);
  } catch (err) {
    if (before === undefined) delete ws.lock.stages[id];
    else ws.lock.stages[id] = before;
    throw new StageError(
      id,
      `cannot write the lock file ${shownPath(ws.lockFile)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was recorded and the previous outputs are back in place`,
      {
        cause: err,
        hint: 'make the folder of the lock file writable (and free some space), then run again',
      },
    );
  }
  ws.hashes.save();
}

/**
 * The lock entry of a stage in `state` with `outputs` (and `metrics`), finished now: `environment`
 * only when a declared variable is set, `metrics` (after `at`) only when the stage wrote some.
 */
export function lockEntry(
  state: StageState,
  outputs: Record<string, string>,
  metrics?: LockEntry['metrics'],
): LockEntry {
  const environment =
    state.environment && Object.keys(state.environment).length ? { environment: state.environment } : {};
  return {
    code: state.code,
    ...environment,
    params: state.params,
    inputs: state.inputs,
    outputs,
    at: new Date().toISOString(),
    ...(metrics ? { metrics } : {}),
  };
}

/** A failed move of outputs into place as a StageError naming the output and the cause (EBUSY, EROFS…). */
export function movedError(
  ws: Workspace,
  node: StageNode,
  moves: readonly { from: string; target: string }[],
  err: unknown,
): Error {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (err instanceof MlcPipeError || !e.code) return err as Error;
  const m = moves.find((x) => [x.from, x.target].some((p) => e.path === p || e.dest === p)) ?? moves[0];
  const o = m ? path.relative(ws.pipeline.dir, m.target) : (node.outputs[0] ?? '');
  return outputError(node, o, 'move into place', m?.target ?? ws.pipeline.dir, err);
}
