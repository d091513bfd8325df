/**
 * What the runner tells the user while it runs; implemented by a plain line renderer
 * (non-TTY, CI) and a Listr2 task view (TTY).
 */
import type { PlannedStage } from '../plan/plan.ts';

export type StageEndStatus = 'ok' | 'restored' | 'skipped' | 'failed' | 'not-run';

export interface StageEnd {
  status: StageEndStatus;
  /** Reason for skipped / not-run, error text for failed. */
  detail?: string;
  /** Wall seconds for ok/failed. */
  seconds?: number;
}

export interface RunReporter {
  /** The plan about to run. */
  begin(plan: readonly PlannedStage[]): void;
  stageStart(id: string, reason: string): void;
  /** A transient status line (not logged). */
  stageProgress(id: string, message: string): void;
  stageEnd(id: string, end: StageEnd): void;
  /** The engine a stage runs on, e.g. `native, 2 threads` (shown on its task line). */
  stageEngine?(id: string, engine: string): void;
  /** A warning the stage logged (shown on the console as it comes). */
  stageWarning?(id: string, message: string): void;
  /** Flushes the view; called once at the end. */
  end(): Promise<void>;
}

/** A reporter that prints nothing (library use, tests). */
export const silentReporter: RunReporter = {
  begin() {},
  stageStart() {},
  stageProgress() {},
  stageEnd() {},
  async end() {},
};
