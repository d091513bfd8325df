/**
 * What the steps of one run share: the workspace, the summary being filled in, the executor and
 * the reporter, and the three ways a stage ends (a result line, a failure, a console line).
 */
import { MlcPipeError, StageError } from '../../errors.ts';
import { CONSOLE_PREFIX } from '../../entry-io.ts';
import type { Executor } from '../executors/executor.ts';
import type { RunReporter, StageEnd } from '../render/reporter.ts';
import type { RunOptions, RunSummary } from '../run-options.ts';
import type { Workspace } from '../workspace.ts';

export interface RunContext {
  ws: Workspace;
  summary: RunSummary;
  reporter: RunReporter;
  executor: Executor;
  /** The executor places gangs (its `gang` property): a stage's gang members go to it as separate jobs. */
  gangs: boolean;
  options: RunOptions;
  /** Stages run even when up to date (`--force` on the targets). */
  forced: ReadonlySet<string>;
  signal: AbortSignal;
}

/** Ends stage `id` with `e`: in the summary and on the reporter. */
export function endStage(ctx: RunContext, id: string, e: StageEnd): void {
  ctx.summary.results.set(id, e);
  ctx.reporter.stageEnd(id, e);
}

/** `err` as one of our errors: a StageError of stage `id` unless it is one already. */
export function stageError(id: string, err: unknown): MlcPipeError {
  return err instanceof MlcPipeError ? err : new StageError(id, (err as Error).message ?? String(err), { cause: err });
}

/** Records the failure `err` of stage `id` as it is and ends the stage; returns `err`. */
export function failStage<E>(ctx: RunContext, id: string, err: E, seconds?: number): E {
  ctx.summary.failed.push(id);
  ctx.summary.errors.set(id, err);
  endStage(ctx, id, {
    status: 'failed',
    detail: (err as Error).message,
    ...(seconds !== undefined ? { seconds } : {}),
  });
  return err;
}

/** Shows the engine and warnings a stage logs (CONSOLE_PREFIX) on the console too. */
export function toConsole(ctx: RunContext, id: string, line: string): void {
  if (line.startsWith(CONSOLE_PREFIX.engine)) ctx.reporter.stageEngine?.(id, line.slice(CONSOLE_PREFIX.engine.length));
  else if (line.startsWith(CONSOLE_PREFIX.warning)) {
    ctx.reporter.stageWarning?.(id, line.slice(CONSOLE_PREFIX.warning.length));
    ctx.summary.warnings.push(`${id}: ${line.slice(CONSOLE_PREFIX.warning.length)}`);
  }
}
