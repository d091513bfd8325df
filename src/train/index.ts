/** Public training API: the entry point `train(options, io)`, the loop and its parts. */
export { train, type TrainIO, type TrainOutcome } from './train.ts';
export { trainOptionsSchema, type TrainOptions } from './options.ts';
export { trainLoop, type TrainLoopOptions, type TrainResult } from './loop.ts';
export { trainStep, evaluateBatches, type StepBatch, type Objective } from './step.ts';
export {
  getLoss,
  LOSS_NAMES,
  CrossEntropy,
  FocalLoss,
  GhmLoss,
  AsymmetricLoss,
  type HeadLoss,
  type HeadInfo,
  type LossIdentifier,
} from './losses/index.ts';
export { multiHeadLoss, balancedClassWeights, headInfos } from './losses/multihead.ts';
export {
  getOptimizer,
  OPTIMIZER_NAMES,
  Sgd,
  Adam,
  RAdam,
  type TrainOptimizer,
  type OptimizerState,
} from './optimizers/index.ts';
export { LrSchedule, type ScheduleOptions } from './schedules/index.ts';
export { MonitorState, type MonitorOptions } from './callbacks/monitor.ts';
export type { TrainCallback, LoopHandle, Logs } from './callbacks/base.ts';
export { EarlyStopping } from './callbacks/early-stopping.ts';
export { ModelCheckpoint } from './callbacks/model-checkpoint.ts';
export { History } from './callbacks/history.ts';
export { ProgressLogger } from './callbacks/progress.ts';
export { TensorBoard } from './callbacks/tensorboard.ts';
export { EventWriter } from './tensorboard/event-writer.ts';
export { writeCheckpoint, readCheckpoint, type CheckpointState } from './checkpoint.ts';
export { debugBatch, formatDebugTable, tensorStats, NumericsError, type DebugReport } from './debug.ts';
export { AccuracyMeter } from './metrics.ts';
