/**
 * Plain line renderer for CI and pipes: one line per event, no cursor movement.
 */
import type { PlannedStage } from '../plan/plan.ts';
import type { RunReporter, StageEnd } from './reporter.ts';

const MARK: Record<StageEnd['status'], string> = { ok: '✔', restored: '↺', skipped: '-', failed: '✖', 'not-run': '⊘' };

export class PlainReporter implements RunReporter {
  private readonly write: (line: string) => void;
  private readonly progressEvery: number;
  private readonly lastProgress = new Map<string, number>();
  private readonly engines = new Map<string, string>();

  /**
   * @param write where lines go. Defaults to stdout.
   * @param progressEverySeconds print a stage's progress at most this often. Defaults to 10.
   */
  constructor(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), progressEverySeconds = 10) {
    this.write = write;
    this.progressEvery = progressEverySeconds * 1000;
  }

  begin(plan: readonly PlannedStage[]): void {
    const runs = plan.filter((p) => p.action !== 'skip').length;
    this.write(`${plan.length} stage${plan.length === 1 ? '' : 's'}, ${runs} to run or restore`);
  }

  stageStart(id: string, reason: string): void {
    this.write(`▶ ${id}: ${reason}`);
  }

  stageProgress(id: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastProgress.get(id) ?? 0) < this.progressEvery) return;
    this.lastProgress.set(id, now);
    this.write(`  ${id}: ${message}`);
  }

  stageEnd(id: string, end: StageEnd): void {
    const time = end.seconds !== undefined ? ` (${end.seconds.toFixed(1)}s)` : '';
    const engine = this.engines.get(id);
    this.write(`${MARK[end.status]} ${id}${engine ? ` [${engine}]` : ''}${end.detail ? `: ${end.detail}` : ''}${time}`);
  }

  stageEngine(id: string, engine: string): void {
    this.engines.set(id, engine);
    this.write(`  ${id} [${engine}]`);
  }

  stageWarning(id: string, message: string): void {
    this.write(`  ${id}: warning: ${message}`);
  }

  async end(): Promise<void> {}
}
