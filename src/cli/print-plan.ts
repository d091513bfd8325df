/**
 * Text of a plan, for `status` and `run --dry-run`.
 */
import type { PlannedStage } from '../runner/plan/plan.ts';

const VERB = { run: 'run', restore: 'restore', skip: 'skip' } as const;

/**
 * One line per stage: action, id and reason. `all` lists every reason (status), otherwise
 * the main one (dry run).
 */
export function formatPlan(plan: readonly PlannedStage[], all = false): string {
  if (plan.length === 0) return 'nothing selected';
  const w = Math.max(...plan.map((p) => p.id.length));
  const lines = plan.map(
    (p) => `${VERB[p.action].padEnd(7)} ${p.id.padEnd(w)}  ${all ? p.reasons.join('; ') : p.reason}`,
  );
  const runs = plan.filter((p) => p.action === 'run').length;
  const restores = plan.filter((p) => p.action === 'restore').length;
  lines.push(`${runs} to run, ${restores} to restore from the run-cache, ${plan.length - runs - restores} up to date`);
  return lines.join('\n');
}
