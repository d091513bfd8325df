/**
 * The monitor logic shared by early stopping, best-checkpointing and reduce-on-plateau
 * (after Keras' `MonitorCallback`): watch one metric (`monitor`), `mode` min or max, an improvement
 * must beat the best by more than `minDelta`, and `patience` epochs without one exhaust it.
 */
export interface MonitorOptions {
  /** Metric name in the epoch logs, e.g. `val_loss`, `val_acc`. Defaults to `val_loss`. */
  monitor?: string;
  /** `min`, `max`, or `auto` (max for names containing acc/map/auc, else min). Defaults to `auto`. */
  mode?: 'min' | 'max' | 'auto';
  /** Smallest change that counts as an improvement. Defaults to 0. */
  minDelta?: number;
  /** Epochs without improvement after which the monitor is exhausted (Keras semantics: 0 = the first one). Defaults to 0. */
  patience?: number;
}

export type MonitorResult = 'improved' | 'waiting' | 'exhausted' | 'missing';

export class MonitorState {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly patience: number;
  best: number;
  wait = 0;

  constructor(options: MonitorOptions = {}) {
    this.monitor = options.monitor ?? 'val_loss';
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (/acc|map|auc/i.test(this.monitor) ? 'max' : 'min') : mode;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** True when `value` improves on the best by more than minDelta. */
  isImprovement(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }

  /** Feeds one epoch's logs. */
  update(logs: Record<string, number>): MonitorResult {
    const value = logs[this.monitor];
    if (value === undefined || !Number.isFinite(value)) return 'missing';
    if (this.isImprovement(value)) {
      this.best = value;
      this.wait = 0;
      return 'improved';
    }
    this.wait++;
    return this.wait >= this.patience ? 'exhausted' : 'waiting';
  }

  resetWait(): void {
    this.wait = 0;
  }

  getState(): { best: number; wait: number } {
    return { best: this.best, wait: this.wait };
  }
  setState(state: unknown): void {
    const s = state as { best: number | null; wait: number };
    this.best = s.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.wait = s.wait;
  }
}
