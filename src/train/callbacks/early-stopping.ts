/** Stops training when the monitored metric stops improving (after Keras' EarlyStopping). */
import type { Logs, LoopHandle, TrainCallback } from './base.ts';
import { MonitorState, type MonitorOptions } from './monitor.ts';

export interface EarlyStoppingArgs extends MonitorOptions {
  /** Called with a one-line reason when training stops. Defaults to none. */
  log?: (message: string) => void;
}

export class EarlyStopping implements TrainCallback {
  readonly stateKey = 'earlyStopping';
  readonly state: MonitorState;
  private loop?: LoopHandle;
  private readonly log?: (message: string) => void;
  stoppedEpoch: number | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    this.state = new MonitorState(args);
    this.log = args.log;
  }
  onTrainBegin(loop: LoopHandle): void {
    this.loop = loop;
  }
  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.state.update(logs) === 'exhausted' && this.loop) {
      this.loop.stopTraining = true;
      this.stoppedEpoch = epoch;
      this.log?.(
        `early stopping at epoch ${epoch + 1}: ${this.state.monitor} did not improve on ${this.state.best.toFixed(5)} for ${this.state.wait} epochs`,
      );
    }
  }
  getState(): unknown {
    return this.state.getState();
  }
  setState(state: unknown): void {
    this.state.setState(state);
  }
}
