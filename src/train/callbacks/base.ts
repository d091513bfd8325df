/**
 * Training callbacks, Keras style: the loop calls each hook in order; a callback may set
 * `loop.stopTraining`. Logs are plain numbers: `loss`, `<head>_loss`, `lr` per batch/epoch and
 * `val_loss`, `val_<head>_acc`, `val_all_heads_acc` after validation.
 */
export type Logs = Record<string, number>;

/** What callbacks can see of the running loop. */
export interface LoopHandle {
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
  readonly epochs: number;
  /** Batches per epoch (known after the first epoch when the loader cannot tell). */
  readonly stepsPerEpoch: number;
  /** Trainable weights of the model being trained, by variable name (read-only use, e.g. histograms). */
  weights?(): Array<{ name: string; values: Float32Array }>;
  /** Saves a checkpoint of everything needed to resume into `dir` (see ../checkpoint.ts). */
  saveCheckpoint(dir: string, epochsDone: number): Promise<void>;
}

export interface TrainCallback {
  /** A name for the checkpoint state of this callback (omit when stateless). */
  readonly stateKey?: string;
  onTrainBegin?(loop: LoopHandle, initialEpoch: number): Promise<void> | void;
  onEpochBegin?(epoch: number): Promise<void> | void;
  onBatchEnd?(step: number, logs: Logs): Promise<void> | void;
  onEpochEnd?(epoch: number, logs: Logs): Promise<void> | void;
  onTrainEnd?(logs: Logs): Promise<void> | void;
  getState?(): unknown;
  setState?(state: unknown): void;
}
