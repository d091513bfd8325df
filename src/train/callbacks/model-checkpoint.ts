/**
 * Checkpoints into `<dir>/`: `last/` after every epoch, `epoch-<NNNN>/` every `every` epochs, and
 * `best/` when the monitored metric improves (../checkpoint.ts has the folder layout). Add it
 * last in the callback list so the state it saves includes the other callbacks' updates.
 */
import { join } from 'node:path';
import type { Logs, LoopHandle, TrainCallback } from './base.ts';
import { MonitorState, type MonitorOptions } from './monitor.ts';

export interface ModelCheckpointArgs {
  /** Folder of the checkpoints (e.g. `models/<run>/checkpoints`). */
  dir: string;
  /** Keep a numbered checkpoint every N epochs (0 = none). Defaults to 0. */
  every?: number;
  /** Keep `best/` by this monitor (null = no best). Defaults to `{ monitor: 'val_loss' }`. */
  best?: MonitorOptions | null;
  /** Keep `last/`. Defaults to true. */
  last?: boolean;
}

export class ModelCheckpoint implements TrainCallback {
  readonly stateKey = 'modelCheckpoint';
  readonly monitor: MonitorState | null;
  /** Epochs done when `best/` was last written (0 = never), and that epoch's logs. */
  bestEpoch = 0;
  bestLogs: Logs = {};
  private loop?: LoopHandle;
  constructor(readonly args: ModelCheckpointArgs) {
    this.monitor = args.best === null ? null : new MonitorState(args.best ?? { monitor: 'val_loss' });
  }
  onTrainBegin(loop: LoopHandle): void {
    this.loop = loop;
  }
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (!this.loop) return;
    const done = epoch + 1;
    if (this.monitor && this.monitor.update(logs) === 'improved') {
      this.bestEpoch = done;
      this.bestLogs = { ...logs };
      await this.loop.saveCheckpoint(join(this.args.dir, 'best'), done);
    }
    const every = this.args.every ?? 0;
    if (every > 0 && done % every === 0)
      await this.loop.saveCheckpoint(join(this.args.dir, `epoch-${String(done).padStart(4, '0')}`), done);
    if (this.args.last ?? true) await this.loop.saveCheckpoint(join(this.args.dir, 'last'), done);
  }
  getState(): unknown {
    return this.monitor ? { ...this.monitor.getState(), bestEpoch: this.bestEpoch, bestLogs: this.bestLogs } : null;
  }
  setState(state: unknown): void {
    if (!state) return;
    this.monitor?.setState(state);
    const s = state as { bestEpoch?: number; bestLogs?: Logs };
    this.bestEpoch = s.bestEpoch ?? 0;
    this.bestLogs = s.bestLogs ?? {};
  }
}
