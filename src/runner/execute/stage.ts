/**
 * One planned stage, when the scheduler starts it: skipped when still up to date, restored from
 * the run-cache when a run with its key was stored, else run (run-job.ts).
 */
import { decideStage, type PlannedStage } from '../plan/plan.ts';
import { stageState } from '../workspace.ts';
import { endStage, type RunContext } from './context.ts';
import { restoreStage } from './restore.ts';
import { runJob } from './run-job.ts';

/** Brings stage `planned` up to date; rejects (after ending the stage as failed) when it fails. */
export async function bringUpToDate(ctx: RunContext, planned: PlannedStage): Promise<void> {
  const { ws, summary } = ctx;
  const id = planned.id;
  if (planned.action === 'skip') {
    // Up to date at planning time and every upstream was skipped too: nothing changed since.
    endStage(ctx, id, { status: 'skipped', detail: 'up to date' });
    return;
  }
  const node = ws.graph.stages.get(id)!;
  const state = await stageState(ws, node);
  const d = decideStage(ws.lock.stages[id], state, ctx.forced.has(id));
  if (d.action === 'skip') {
    endStage(ctx, id, { status: 'skipped', detail: 'up to date after upstream ran' });
    return;
  }
  let restoreProblem: string | undefined;
  if (d.action === 'restore') {
    const r = ws.runCache.checkout(state.key);
    if (r.status === 'checked-out') return restoreStage(ctx, node, state, r);
    if (r.status === 'corrupt') {
      restoreProblem = `${id}: ${r.problem}; running the stage instead`;
      summary.warnings.push(restoreProblem);
    }
  }
  const reason = d.action === 'restore' ? (d.reasons[1] ?? 'never run') : d.reason;
  await runJob(ctx, node, state, reason, restoreProblem);
}
