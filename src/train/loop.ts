/**
 * The training loop: epochs × batches from a `Loader`, validation every `validationFreq` epochs,
 * callbacks (history, checkpoints, early stopping, TensorBoard, progress), and resume from a
 * checkpoint. Deterministic for a seed on one engine: the model's initializers are seeded, the
 * loader reseeds shuffle/augment from (seed, epoch), and a checkpoint restores model, BN
 * statistics, optimizer slots and iteration count, loss state (GHM), schedule and callback state.
 */
import { tf } from '../engine/tf.ts';
import { NATIVE } from '../engine/native/backend.ts';
import { formatNativeProfile, profileNative } from '../engine/native/profile.ts';
import { withBatchNormSync } from '../engine/distributed/batch-norm-sync.ts';
import type { Batch, Loader } from '../data/loader/create-loader.ts';
import type { HeadSpec } from '../data/heads.ts';
import { regularizedVariables, type L2Options } from '../model/regularization.ts';
import type { Logs, LoopHandle, TrainCallback } from './callbacks/base.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { HeadLoss } from './losses/base.ts';
import { checkLoss, checkWeights } from './terminate-on-nan.ts';
import { headInfos, type MultiHeadLossOptions } from './losses/multihead.ts';
import type { TrainOptimizer } from './optimizers/base.ts';
import type { LrSchedule } from './schedules/index.ts';
import { evaluateBatches, trainStep, type InputShape, type Objective } from './step.ts';
import { setBackboneFrozen } from './freeze.ts';
import type { LoopDistribution } from './distributed/data-parallel.ts';

export interface TrainLoopOptions {
  model: tf.LayersModel;
  heads: HeadSpec[];
  loss: HeadLoss;
  optimizer: TrainOptimizer;
  schedule: LrSchedule;
  train: Pick<Loader, 'count' | 'epoch'>;
  val?: Pick<Loader, 'count' | 'epoch'>;
  /** [height, width, channels] of the batches. */
  inputShape: InputShape;
  epochs: number;
  /** Cap on batches per epoch. Defaults to the whole epoch. */
  stepsPerEpoch?: number;
  /** Batch size of `train`, to know the steps per epoch up front (warmup within epoch 0). Defaults to learning it after epoch 1. */
  batchSize?: number;
  /** Validate every N epochs (and after the last). Defaults to 1. */
  validationFreq?: number;
  /** Per-head loss weights and class weights. */
  lossOptions?: Omit<MultiHeadLossOptions, 'classWeights'> & { classWeights?: Array<number[] | null> };
  /** Split L2. Defaults to l2Conv 5e-4, l2Gamma 1e-5. */
  l2?: L2Options;
  callbacks?: TrainCallback[];
  /** Checkpoint folder to resume from (model + state); the `model` option is then replaced. */
  resumeFrom?: string;
  /** Recorded in every checkpoint written: the identity of this run (see TrainIO.runKey). Defaults to none. */
  runKey?: string;
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
  /**
   * Receives the per-kernel profile of the second training step as log lines (native engine:
   * time in libtorch ops vs tfjs/JS and the kernels that ran on the cpu fallback). Defaults to none.
   */
  profile?: (lines: string[]) => void;
  /** Fine-tuning: epochs (from 0) in which only the heads train, backbone and its BN statistics frozen (./freeze.ts). Defaults to 0. */
  freezeEpochs?: number;
  /** Data-parallel training: this process is one rank of several (./distributed/). Defaults to one process. */
  distributed?: LoopDistribution;
}

export interface TrainResult {
  /** The trained model (the caller disposes it). */
  model: tf.LayersModel;
  /** Epochs completed in total (including those before a resume). */
  epochs: number;
  /** Last epoch's logs. */
  logs: Logs;
}

/** Runs one step under {@link profileNative} and reports it (other engines: says they are not profiled). */
function profiledStep(run: () => Record<string, number>, report: (lines: string[]) => void): Record<string, number> {
  if (tf.getBackend() !== NATIVE) {
    report([`profile: only the native engine is profiled (this run uses ${tf.getBackend()})`]);
    return run();
  }
  let logs: Record<string, number> = {};
  report(
    formatNativeProfile(
      profileNative(() => {
        logs = run();
      }),
    ),
  );
  return logs;
}

/**
 * With `resumeFrom`, replaces the model by the checkpoint's (disposing the given one) and restores the
 * optimizer, loss, schedule and callback states; returns the model to train and the epoch to start at.
 */
async function resume(
  options: TrainLoopOptions,
  callbacks: TrainCallback[],
): Promise<{ model: tf.LayersModel; initialEpoch: number }> {
  if (!options.resumeFrom) return { model: options.model, initialEpoch: 0 };
  const ck = await readCheckpoint(options.resumeFrom);
  options.model.dispose();
  options.optimizer.setState(ck.state.optimizer);
  if (ck.state.loss !== undefined) options.loss.setState?.(ck.state.loss);
  if (ck.state.schedule !== undefined) options.schedule.setState(ck.state.schedule);
  for (const cb of callbacks)
    if (cb.stateKey && ck.state.callbacks?.[cb.stateKey] !== undefined) cb.setState?.(ck.state.callbacks[cb.stateKey]);
  return { model: ck.model, initialEpoch: ck.state.epoch };
}

export async function trainLoop(options: TrainLoopOptions): Promise<TrainResult> {
  const callbacks = options.callbacks ?? [];
  const { model, initialEpoch } = await resume(options, callbacks);
  const obj: Objective = {
    loss: options.loss,
    heads: options.heads,
    infos: headInfos(options.heads, options.lossOptions?.classWeights),
    lossOptions: options.lossOptions ?? {},
    reg: regularizedVariables(model),
    l2: options.l2 ?? {},
  };
  const freq = options.validationFreq ?? 1;
  let stepsPerEpoch = options.stepsPerEpoch ?? Number.POSITIVE_INFINITY;
  const handle: LoopHandle = {
    stopTraining: false,
    epochs: options.epochs,
    get stepsPerEpoch() {
      return Number.isFinite(stepsPerEpoch) ? stepsPerEpoch : 0;
    },
    weights: () =>
      model.trainableWeights.map((w) => ({ name: w.originalName, values: w.read().dataSync() as Float32Array })),
    saveCheckpoint: async (dir, epochsDone) => {
      const cbState: Record<string, unknown> = {};
      for (const cb of callbacks) if (cb.stateKey && cb.getState) cbState[cb.stateKey] = cb.getState();
      await writeCheckpoint(dir, model, {
        epoch: epochsDone,
        ...(options.runKey !== undefined ? { runKey: options.runKey } : {}),
        optimizer: options.optimizer.getState(),
        loss: options.loss.getState?.(),
        schedule: options.schedule.getState(),
        callbacks: cbState,
      });
    },
  };
  if (options.batchSize && options.train.count > 0)
    stepsPerEpoch = Math.min(stepsPerEpoch, Math.ceil(options.train.count / options.batchSize));

  options.distributed?.syncWeights(model);
  for (const cb of callbacks) await cb.onTrainBegin?.(handle, initialEpoch);
  let logs: Logs = {};
  let epoch = initialEpoch;
  for (; epoch < options.epochs && !handle.stopTraining; epoch++) {
    if (options.freezeEpochs) setBackboneFrozen(model, epoch < options.freezeEpochs);
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
    const { sums, seen, step } = await runEpochSteps(
      options,
      model,
      obj,
      callbacks,
      epoch,
      initialEpoch,
      stepsPerEpoch,
    );
    if (!Number.isFinite(stepsPerEpoch)) stepsPerEpoch = step;
    checkWeights(model.trainableWeights, epoch + 1, step); // a last step can leave a finite loss and broken weights
    logs = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, seen)]));
    logs.lr = options.optimizer.learningRate;
    const last = epoch + 1 === options.epochs;
    if (options.val && ((epoch + 1) % freq === 0 || last)) {
      Object.assign(logs, await evaluateBatches(model, obj, options.val.epoch(0), options.inputShape));
    }
    const decided = options.distributed?.receiveEpoch(epoch); // ranks > 0: rank 0's validation logs and stop
    if (decided) logs = decided.logs;
    options.schedule.onEpochEnd(logs);
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
    if (decided) handle.stopTraining = decided.stop;
    options.distributed?.publishEpoch(epoch, { logs, stop: handle.stopTraining });
  }
  if (options.freezeEpochs) setBackboneFrozen(model, false);
  for (const cb of callbacks) await cb.onTrainEnd?.(logs);
  return { model, epochs: epoch, logs };
}

/** The batches of one epoch: steps, their logs summed over images, and the batch callbacks. */
async function runEpochSteps(
  options: TrainLoopOptions,
  model: tf.LayersModel,
  obj: Objective,
  callbacks: TrainCallback[],
  epoch: number,
  initialEpoch: number,
  stepsPerEpoch: number,
) {
  const sums: Record<string, number> = {};
  let seen = 0;
  let step = 0;
  const cap = options.stepsPerEpoch ?? Number.POSITIVE_INFINITY;
  const dist = options.distributed;
  const iterator = options.train.epoch(epoch)[Symbol.asyncIterator]();
  try {
    while (step < cap) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const next = await iterator.next();
      if (next.done) break;
      const global = next.value as Batch;
      const batch = dist ? dist.shard(global) : global;
      const frac = Number.isFinite(stepsPerEpoch) ? step / stepsPerEpoch : 0;
      options.optimizer.learningRate = options.schedule.at(epoch + frac);
      const reduce = dist?.reducer(global.size, batch.size);
      const sync = dist?.batchNormSync(global.size, batch.size);
      const run = () =>
        withBatchNormSync(sync, () => trainStep(model, options.optimizer, obj, batch, options.inputShape, reduce));
      const stepLogs =
        options.profile && epoch === initialEpoch && step === 1 ? profiledStep(run, options.profile) : run();
      stepLogs.lr = options.optimizer.learningRate;
      checkLoss(stepLogs.loss!, epoch + 1, step + 1);
      // Logs are the global batch's (all-reduced across ranks), weighted by its images.
      for (const [k, v] of Object.entries(stepLogs)) sums[k] = (sums[k] ?? 0) + v * global.size;
      seen += global.size;
      step++;
      for (const cb of callbacks) await cb.onBatchEnd?.(step, stepLogs);
    }
  } finally {
    await iterator.return?.();
  }
  return { sums, seen, step };
}
