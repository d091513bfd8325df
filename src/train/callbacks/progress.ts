/**
 * Progress: after every batch a one-line status `epoch 2/10 [=====>    ] 31/60 loss 0.4120 ETA 0:42`
 * through `progress` (the runner shows it in place on a TTY), and after every epoch a plain line
 * with the epoch's logs through `log`.
 */
import type { Logs, LoopHandle, TrainCallback } from './base.ts';

export interface ProgressArgs {
  /** In-place status line. */
  progress: (message: string) => void;
  /** A permanent line per epoch. */
  log: (message: string) => void;
  /** Bar width in characters. Defaults to 20. */
  width?: number;
  /** Clock (ms), for tests. Defaults to Date.now. */
  now?: () => number;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(' ');
}

export class ProgressLogger implements TrainCallback {
  private loop?: LoopHandle;
  private epoch = 0;
  private start = 0;
  private readonly now: () => number;
  constructor(private readonly args: ProgressArgs) {
    this.now = args.now ?? Date.now;
  }
  onTrainBegin(loop: LoopHandle): void {
    this.loop = loop;
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.start = this.now();
  }
  onBatchEnd(step: number, logs: Logs): void {
    const total = this.loop?.stepsPerEpoch ?? 0;
    const w = this.args.width ?? 20;
    const head = `epoch ${this.epoch + 1}/${this.loop?.epochs ?? '?'}`;
    let bar = '';
    let eta = '';
    if (total > 0) {
      const filled = Math.min(w, Math.floor((step / total) * w));
      bar = ` [${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(w - filled)}] ${step}/${total}`;
      const per = (this.now() - this.start) / 1000 / step;
      eta = ` ETA ${clock(per * (total - step))}`;
    } else bar = ` step ${step}`;
    this.args.progress(`${head}${bar} loss ${logs.loss!.toFixed(4)}${eta}`);
  }
  onEpochEnd(epoch: number, logs: Logs): void {
    this.args.log(
      `epoch ${epoch + 1}/${this.loop?.epochs ?? '?'} (${clock((this.now() - this.start) / 1000)}) ${formatLogs(logs)}`,
    );
  }
}
