/**
 * Restoring a stage from the run-cache: its outputs checked out (hash-checked copies), swapped
 * into place and recorded in the lock, or, on any failure, the previous outputs put back.
 */
import { rmSync } from 'node:fs';
import type { StageNode } from '../../pipeline/types.ts';
import { assertInside, swapIntoPlace, type Swap } from '../outputs.ts';
import type { StageState } from '../plan/plan.ts';
import type { RestoreResult } from '../store/store.ts';
import { endStage, failStage, type RunContext } from './context.ts';
import { lockEntry, movedError, recordStage } from './record.ts';

type CheckedOut = Extract<RestoreResult, { status: 'checked-out' }>;

/** Moves the checked-out outputs `r` of `node` into place and records them; a failure fails the stage (and throws). */
export function restoreStage(ctx: RunContext, node: StageNode, state: StageState, r: CheckedOut): void {
  const { ws } = ctx;
  const dropStaged = () => {
    for (const s of r.staged) rmSync(s.from, { recursive: true, force: true });
  };
  let swap: Swap;
  try {
    for (const o of node.outputs) assertInside(ws, node, o);
    swap = swapIntoPlace(r.staged);
  } catch (err) {
    dropStaged();
    throw failStage(ctx, node.id, movedError(ws, node, r.staged, err));
  }
  try {
    recordStage(ws, node.id, lockEntry(state, r.record.outputs, r.record.metrics));
  } catch (err) {
    swap.undo();
    dropStaged();
    throw failStage(ctx, node.id, err);
  }
  swap.keep();
  endStage(ctx, node.id, { status: 'restored', detail: 'restored from run-cache' });
}
