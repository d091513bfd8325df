/**
 * Listr2 task view for terminals: one task per planned stage, running stages show their
 * progress line, skipped ones their reason.
 */
import type { PlannedStage } from '../plan/plan.ts';
import type { RunReporter, StageEnd } from './reporter.ts';

interface Deferred {
  promise: Promise<StageEnd>;
  resolve(end: StageEnd): void;
  started: Promise<string>;
  start(reason: string): void;
  output?: (message: string) => void;
  /** Redraws the title (the engine became known). */
  title?: () => void;
}

function deferred(): Deferred {
  let resolve!: (e: StageEnd) => void;
  let start!: (r: string) => void;
  const promise = new Promise<StageEnd>((r) => (resolve = r));
  const started = new Promise<string>((r) => (start = r));
  return { promise, resolve, started, start };
}

/** How the task view renders. */
export interface ListrReporterOptions {
  /**
   * Listr2 renderer: `default` (the live tree; Listr2 falls back to `simple` off a TTY), `simple`
   * (one line per change), `verbose`. Defaults to 'default'.
   */
  renderer?: 'default' | 'simple' | 'verbose';
  /**
   * Extra renderer options, merged over mlc-pipe's (errors shown, not collapsed); e.g. a `logger`
   * writing somewhere else than the process streams. Defaults to {}.
   */
  rendererOptions?: Record<string, unknown>;
}

export class ListrReporter implements RunReporter {
  private readonly tasks = new Map<string, Deferred>();
  private running?: Promise<unknown>;
  private readonly options: ListrReporterOptions;
  /** Stage id → ` [engine, threads]` once the stage names it. */
  private readonly engines = new Map<string, string>();

  constructor(options: ListrReporterOptions = {}) {
    this.options = options;
  }

  begin(plan: readonly PlannedStage[]): void {
    for (const p of plan) this.tasks.set(p.id, deferred());
    this.running = import('listr2').then(({ Listr }) => {
      const list = new Listr(
        plan.map((p) => ({
          title: p.id,
          task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
            const d = this.tasks.get(p.id)!;
            const name = () => `${p.id}${this.engines.get(p.id) ?? ''}`;
            let suffix = '';
            d.title = () => (task.title = `${name()}${suffix}`);
            const first = await Promise.race([d.started.then((r) => ({ r })), d.promise.then((e) => ({ e }))]);
            if ('r' in first) {
              suffix = ` (${first.r})`;
              task.title = `${name()}${suffix}`;
              d.output = (m) => (task.output = m);
            }
            const end = await d.promise;
            const time = end.seconds !== undefined ? ` ${end.seconds.toFixed(1)}s` : '';
            if (end.status === 'ok') task.title = `${name()}${time}`;
            else if (end.status === 'restored') task.title = `${p.id} (restored from run-cache)`;
            else if (end.status === 'skipped' || end.status === 'not-run')
              task.skip(`${p.id}: ${end.detail ?? 'skipped'}`);
            else {
              task.title = `${name()}${time}`; // the reason it started is history now; the error says what happened
              throw new Error(end.detail ?? 'failed');
            }
          },
        })),
        {
          concurrent: true,
          exitOnError: false,
          renderer: this.options.renderer ?? 'default',
          rendererOptions: { collapseErrors: false, showErrorMessage: true, ...this.options.rendererOptions },
        },
      );
      return list.run().catch(() => undefined);
    });
  }

  stageStart(id: string, reason: string): void {
    this.tasks.get(id)?.start(reason);
  }

  stageProgress(id: string, message: string): void {
    this.tasks.get(id)?.output?.(message);
  }

  stageEngine(id: string, engine: string): void {
    this.engines.set(id, ` [${engine}]`);
    this.tasks.get(id)?.title?.();
  }

  stageWarning(id: string, message: string): void {
    this.tasks.get(id)?.output?.(`warning: ${message}`);
  }

  stageEnd(id: string, end: StageEnd): void {
    this.tasks.get(id)?.resolve(end);
  }

  async end(): Promise<void> {
    await this.running;
  }
}
