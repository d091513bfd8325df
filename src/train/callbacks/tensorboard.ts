/**
 * TensorBoard scalars: `train/` (total loss, per-head losses, l2) and `lr` per epoch (and every
 * `batchFreq` steps when set), `val/` metrics after validation. One event file under `dir`.
 */
import { EventWriter } from '../tensorboard/event-writer.ts';
import type { Logs, LoopHandle, TrainCallback } from './base.ts';

export interface TensorBoardArgs {
  /** Folder of the event file (e.g. `models/<run>/tb`). */
  dir: string;
  /** Also write batch scalars every N steps (0 = epochs only). Defaults to 0. */
  batchFreq?: number;
}

export class TensorBoard implements TrainCallback {
  private writer?: EventWriter;
  private loop?: LoopHandle;
  private epoch = 0;
  constructor(private readonly args: TensorBoardArgs) {}

  onTrainBegin(loop: LoopHandle): void {
    this.loop = loop;
    this.writer = new EventWriter(this.args.dir);
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  async onBatchEnd(step: number, logs: Logs): Promise<void> {
    const f = this.args.batchFreq ?? 0;
    if (!f || step % f !== 0 || !this.writer) return;
    const global = this.epoch * (this.loop?.stepsPerEpoch ?? 0) + step;
    await this.writer.scalars(global, prefixed(logs, 'batch/'));
  }
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    await this.writer?.scalars(epoch + 1, epochScalars(logs));
  }
  async onTrainEnd(): Promise<void> {
    await this.writer?.flush();
  }
}

function prefixed(logs: Logs, prefix: string): Logs {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [k === 'lr' ? 'lr' : `${prefix}${k}`, v]));
}

/** `loss` → `train/loss`, `val_x` → `val/x`, `lr` stays. */
export function epochScalars(logs: Logs): Logs {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [k === 'lr' ? 'lr' : k.startsWith('val_') ? `val/${k.slice(4)}` : `train/${k}`, v]));
}
