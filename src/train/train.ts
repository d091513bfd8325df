/**
 * `train(options, io)`: the training entry point. Resolves the options into a model, loaders, loss,
 * optimizer, schedule and callbacks, runs `trainLoop`, and writes the model folder. The train stage
 * (stages/train.ts) passes its params and its context as they are.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointRunKey } from './checkpoint.ts';
import type { TrainOptions } from './options.ts';
import { startEngine, tf } from '../engine/index.ts';
import { stableStringify } from '../stable-json.ts';
import type { EntryIO } from '../entry-io.ts';
import { ConfigError, DataError, StageError } from '../errors.ts';
import { createLoader, type Loader } from '../data/loader/create-loader.ts';
import { readLabelFile, type LabelRecord } from '../data/labels.ts';
import { readClassesFile, type HeadSpec } from '../data/heads.ts';
import { preflightSplits } from '../data/check/preflight.ts';
import { buildModel } from '../model/zoo.ts';
import { preprocessingRecord, type MeanStd } from '../data/image/preprocessing.ts';
import { MODEL_NAMES } from '../model/names.ts';
import { loadLayersModel, saveTrainedModel, type InputConfig, type TrainedModelConfig } from '../model/io.ts';
import type { TrainCallback } from './callbacks/base.ts';
import { EarlyStopping } from './callbacks/early-stopping.ts';
import { History } from './callbacks/history.ts';
import { ModelCheckpoint } from './callbacks/model-checkpoint.ts';
import { ProgressLogger } from './callbacks/progress.ts';
import { TensorBoard } from './callbacks/tensorboard.ts';
import { getLoss } from './losses/index.ts';
import { balancedClassWeights } from './losses/multihead.ts';
import { getOptimizer } from './optimizers/index.ts';
import { LrSchedule } from './schedules/index.ts';
import { trainLoop } from './loop.ts';
import { resumePoint, runKeyOf } from './resume.ts';
import { debugBatch, formatDebugTable } from './debug.ts';
import { backboneLrMultiplier } from './freeze.ts';
import { rankCount } from './distributed/options.ts';
import { dataParallel } from './distributed/data-parallel.ts';
import type { ProcessGroup } from './distributed/process-group.ts';

const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));

function classWeightsFor(
  p: TrainOptions,
  heads: HeadSpec[],
  trainRecords: LabelRecord[] | undefined,
): Array<number[] | null> | undefined {
  if (p.class_weights === 'none') return undefined;
  if (Array.isArray(p.class_weights)) {
    if (p.class_weights.length !== heads.length)
      throw new ConfigError(`class_weights lists ${p.class_weights.length} heads but classes.json has ${heads.length}`);
    return p.class_weights;
  }
  if (!trainRecords)
    throw new ConfigError(
      "class_weights 'balanced' needs train_labels (it counts classes in the label file), not TFRecords",
      { hint: 'give explicit weights instead' },
    );
  return heads.map((h, i) =>
    balancedClassWeights(
      trainRecords.map((r) => r.labels[i]!),
      h,
    ),
  );
}

/** Where training reads, writes and reports (a stage's `ctx` is one). */
export interface TrainIO extends EntryIO {
  /** Stage id, for error messages. */
  readonly id: string;
  /**
   * Identity of this run (the runner's cache key: code, params less `exclude`, input hashes).
   * Checkpoints record it, and `resume: auto` resumes only a checkpoint with the same key.
   * Defaults to a hash of the options alone (outside the runner).
   */
  readonly runKey?: (exclude?: readonly string[]) => string;
}

/** What training returns: the final (or best) epoch's logs as metrics. */
export interface TrainOutcome {
  metrics: Record<string, number | null>;
}

/** ImageNet's per-channel statistics (RGB, on [0,1] pixels): what torchvision's and timm's ImageNet weights expect. */
export const IMAGENET_MEAN_STD = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** The mean/std normalisation of this run: `mean`/`std` as given, ImageNet's for `pretrained` when not given, else none. */
function resolveMeanStd(p: TrainOptions): MeanStd | undefined {
  if (p.mean.length || p.std.length) {
    if (p.mean.length !== p.channels || p.std.length !== p.channels) {
      throw new ConfigError(
        `mean and std need ${p.channels} values each (one per channel), received mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`,
        {
          hint: `e.g. mean: [${IMAGENET_MEAN_STD.mean.join(', ')}], std: [${IMAGENET_MEAN_STD.std.join(', ')}]`,
        },
      );
    }
    return { mean: [...p.mean], std: [...p.std] };
  }
  return p.pretrained && p.channels === 3
    ? { mean: [...IMAGENET_MEAN_STD.mean], std: [...IMAGENET_MEAN_STD.std] }
    : undefined;
}

/**
 * `pretrained:` loads a PyTorch state dict or safetensors file onto the freshly built tv-* backbone
 * (src/model/import/); `pretrained_strict: false` reports the keys that did not fit instead of failing.
 */
async function importPretrained(model: tf.LayersModel, p: TrainOptions, ctx: TrainIO): Promise<void> {
  if (!p.model.startsWith('tv-')) {
    throw new ConfigError(`pretrained ${p.pretrained}: model ${p.model} has no PyTorch layout`, {
      hint: `use a torchvision-layout model (${MODEL_NAMES.filter((m) => m.startsWith('tv-')).join(', ')}) for PyTorch weights`,
    });
  }
  const { loadPretrained, describeProblems } = await import('../model/import/index.ts');
  const r = await loadPretrained(model, ctx.path(p.pretrained), { name: p.pretrained, strict: p.pretrained_strict });
  ctx.log(
    `pretrained: ${r.loaded} tensors from ${p.pretrained} onto ${p.model}; heads new (ignored ${r.ignored.length}: classifier and num_batches_tracked)`,
  );
  if (r.missing.length + r.unexpected.length + r.mismatched.length)
    ctx.log(`pretrained_strict false: not loaded: ${describeProblems(r)}`);
}

/**
 * The loop's callbacks (history, progress, TensorBoard, early stopping, checkpoints) and where it
 * resumes from. Ranks > 0 of a data-parallel run get none: rank 0 logs, validates and checkpoints,
 * and shares its epoch-end decisions (./distributed/data-parallel.ts).
 */
async function loopCallbacks(p: TrainOptions, ctx: TrainIO, out: string, hasVal: boolean, group?: ProcessGroup) {
  const ckptDir = p.checkpoint_dir ? ctx.path(p.checkpoint_dir) : join(out, 'checkpoints');
  // How to start (resume) and where the model goes (out) do not change what is trained.
  const runKey = runKeyOf(p, ctx);
  const resumeFrom = await resumePoint(p, ctx, ckptDir, runKey, group);
  const checkpoint = new ModelCheckpoint({
    dir: ckptDir,
    every: p.checkpoint_every,
    best: hasVal ? { monitor: p.monitor, minDelta: p.min_delta } : null,
  });
  if (group && group.rank > 0) return { callbacks: [], checkpoint, ckptDir, runKey, resumeFrom };
  const callbacks: TrainCallback[] = [
    new History(out),
    new ProgressLogger({ progress: (m) => ctx.progress(m), log: (m) => ctx.log(m) }),
    new TensorBoard({
      dir: join(out, 'tb'),
      batchFreq: p.tensorboard_batch_freq,
      histogramFreq: p.tensorboard_histograms,
    }),
  ];
  if (p.early_stopping > 0)
    callbacks.push(
      new EarlyStopping({
        monitor: p.monitor,
        patience: p.early_stopping,
        minDelta: p.min_delta,
        log: (m) => ctx.log(m),
      }),
    );
  callbacks.push(checkpoint);
  return { callbacks, checkpoint, ckptDir, runKey, resumeFrom };
}

/**
 * Trains a model as `options` say and writes it to `io.out(options.out)`. With `distributed.ranks` > 1
 * it launches the rank processes (./distributed/), each of which calls this again with its `group`.
 */
export async function train(p: TrainOptions, ctx: TrainIO, group?: ProcessGroup): Promise<TrainOutcome> {
  const { heads } = await readClassesFile(ctx.path(p.classes));
  const trainLabels = p.train_tfrecords.length ? undefined : ctx.path(p.train_labels);
  const valLabels = p.val_tfrecords.length ? undefined : p.val_labels ? ctx.path(p.val_labels) : undefined;
  // The train label file's records: read once, for the pre-flight and for balanced class weights.
  const trainRecords = trainLabels ? await readLabelFile(trainLabels, heads) : undefined;
  if (trainRecords) {
    // Pre-flight, before the engine starts: data that cannot train is refused (exit 2, nothing recorded).
    const split = async (name: string, file: string, abs: string) => ({
      name,
      file,
      records: await readLabelFile(abs, heads),
    });
    const warnings = preflightSplits(
      heads,
      { name: 'train', file: p.train_labels, records: trainRecords },
      valLabels ? [await split('val', p.val_labels, valLabels)] : [],
    );
    for (const w of warnings) ctx.log(`warning: ${w}`);
  }
  if (rankCount(p) > 1 && !group)
    return (await import('./distributed/train-ranks.ts')).trainOnRanks(p, ctx, runKeyOf(p, ctx));
  const lead = !group || group.rank === 0;
  const engine = await startEngine(p, ctx);
  const out = ctx.out(p.out);
  await mkdir(out, { recursive: true });
  const meanStd = resolveMeanStd(p);
  const input: InputConfig = {
    height: p.height,
    width: p.width,
    channels: p.channels,
    channelOrder: p.channel_order,
    whiten: meanStd ? false : p.whiten,
    resize: p.resize,
    ...(meanStd ? { meanStd } : {}),
  };
  const common = { heads: heads.length, ...input, batchSize: p.batch_size, seed: p.seed };
  if (meanStd)
    ctx.log(
      `preprocessing: x/255, then (x − mean) / std per channel, mean [${meanStd.mean.join(', ')}], std [${meanStd.std.join(', ')}]${p.whiten && !p.mean.length ? ' (the pretrained weights’ ImageNet statistics; per-image whitening off)' : ''}`,
    );
  const loaders: Loader[] = [];
  let model: tf.LayersModel | undefined;
  try {
    const train = await createLoader({
      ...common,
      labels: trainLabels,
      tfrecords: p.train_tfrecords.length ? p.train_tfrecords.map((f) => ctx.path(f)) : undefined,
      root: p.root ? ctx.path(p.root) : undefined,
      shuffle: p.shuffle,
      augment: p.augment === false ? false : p.augment,
      balanced: p.balanced >= 0 ? p.balanced : undefined,
    });
    loaders.push(train);
    let val: Loader | undefined;
    if (lead && (valLabels || p.val_tfrecords.length)) {
      val = await createLoader({
        ...common,
        labels: valLabels,
        tfrecords: p.val_tfrecords.length ? p.val_tfrecords.map((f) => ctx.path(f)) : undefined,
        root: p.root ? ctx.path(p.root) : undefined,
        shuffle: false,
        augment: false,
      });
      loaders.push(val);
    }
    ctx.log(
      `train ${train.count} images${val ? `, val ${val.count}` : ''}; heads ${heads.map((h) => `${h.name}(${h.classes.length})`).join(', ')}`,
    );

    const inputShape: [number, number, number] = [p.height, p.width, p.channels];
    if (p.pretrained && p.init_from)
      throw new ConfigError(`pretrained and init_from both set (${p.pretrained}, ${p.init_from})`, {
        hint: 'init_from continues a model folder of ours; pretrained starts a tv-* backbone from a PyTorch file: keep one',
      });
    if (p.init_from) {
      model = await loadLayersModel(ctx.path(p.init_from));
      const got = model.inputs[0]!.shape.slice(1).join('×');
      if (got !== inputShape.join('×') || model.outputs.length !== heads.length) {
        throw new ConfigError(
          `init_from ${p.init_from}: model takes ${got} with ${model.outputs.length} heads, this run needs ${inputShape.join('×')} with ${heads.length}`,
        );
      }
      ctx.log(`fine-tuning from ${p.init_from}`);
    } else {
      model = buildModel(p.model, {
        inputShape,
        heads,
        width: p.width_multiplier,
        seed: p.seed,
        bnMomentum: p.bn_momentum,
        bnEpsilon: p.bn_epsilon,
        kernelInit: p.kernel_init,
      });
      if (p.pretrained) await importPretrained(model, p, ctx);
    }
    ctx.log(`${p.model}: ${model.countParams().toLocaleString('en')} parameters, engine ${engine.backend}`);

    const classWeights = classWeightsFor(p, heads, trainRecords);
    const loss = getLoss({ name: p.loss, ...p.loss_options });
    const optimizer = getOptimizer({
      ...p.optimizer_options,
      name: p.optimizer,
      learningRate: p.lr,
      weightDecay: p.weight_decay,
    });
    if (p.backbone_lr_mult !== 1) optimizer.lrMultiplier = backboneLrMultiplier(model, p.backbone_lr_mult);
    if (p.freeze_epochs > 0 || p.backbone_lr_mult !== 1) {
      ctx.log(
        `fine-tuning: ${p.freeze_epochs > 0 ? `heads only (backbone and its BN statistics frozen) for epoch${p.freeze_epochs > 1 ? `s 1-${p.freeze_epochs}` : ' 1'}, then all layers` : 'all layers'}${p.backbone_lr_mult !== 1 ? `, backbone lr × ${p.backbone_lr_mult}` : ''}`,
      );
    }
    const schedule = new LrSchedule(
      {
        type: p.schedule,
        lr: p.lr,
        warmupEpochs: p.warmup_epochs,
        steps: Object.keys(p.lr_steps).length ? p.lr_steps : undefined,
        minLr: p.min_lr,
        factor: p.plateau_factor,
        plateau: { monitor: p.monitor, patience: p.plateau_patience, minDelta: p.min_delta },
        baseBatchSize: p.base_batch_size || undefined,
      },
      { epochs: p.epochs, batchSize: p.batch_size },
    );
    const lossOptions = { lossWeights: p.loss_weights.length ? p.loss_weights : undefined, classWeights };
    const l2 = { l2Conv: p.l2_conv, l2Gamma: p.l2_gamma, l1Gamma: p.l1_gamma };

    if (p.debug && lead) {
      const { writeFile } = await import('node:fs/promises');
      const first = train.epoch(0)[Symbol.asyncIterator]();
      const batch = (await first.next()).value;
      await first.return?.();
      if (!batch) throw new DataError('debug: the training set is empty', { file: trainLabels });
      const report = debugBatch(model, heads, batch, inputShape, {
        loss,
        lossOptions,
        l2,
        checkNumerics: p.check_numerics,
      });
      await writeFile(join(out, 'debug.json'), JSON.stringify(report, null, 1));
      for (const line of formatDebugTable(report).split('\n')) ctx.log(line);
    }

    const { callbacks, checkpoint, ckptDir, runKey, resumeFrom } = await loopCallbacks(
      p,
      ctx,
      out,
      val !== undefined,
      group,
    );
    const abort = () => ctx.signal.aborted;
    const result = await trainLoop({
      model,
      heads,
      loss,
      optimizer,
      schedule,
      train,
      val,
      batchSize: p.batch_size,
      inputShape,
      epochs: p.epochs,
      stepsPerEpoch: p.steps_per_epoch || undefined,
      validationFreq: p.validation_freq,
      lossOptions,
      l2,
      callbacks,
      resumeFrom,
      runKey,
      signal: ctx.signal,
      profile: p.profile ? (lines) => lines.forEach((l) => ctx.log(l)) : undefined,
      freezeEpochs: p.freeze_epochs,
      distributed: group ? dataParallel(group) : undefined,
    });
    model = result.model;
    optimizer.dispose();
    if (abort()) throw new StageError(ctx.id, 'training was cancelled');
    if (!lead) return { metrics: {} };
    let logs = result.logs;
    let bestEpoch: number | null = null;
    if (p.restore_best && val && checkpoint.bestEpoch > 0 && checkpoint.bestEpoch !== result.epochs) {
      model.dispose();
      model = undefined;
      model = await loadLayersModel(join(ckptDir, 'best'));
      bestEpoch = checkpoint.bestEpoch;
      logs = checkpoint.bestLogs;
      ctx.log(
        `restored the best epoch by ${p.monitor}: ${bestEpoch} of ${result.epochs} (${p.monitor} ${fmt(logs[p.monitor])} vs last ${fmt(result.logs[p.monitor])})`,
      );
    } else if (val && checkpoint.bestEpoch > 0) bestEpoch = checkpoint.bestEpoch;
    const { expandFiles, filesHash } = await import('../report/provenance.ts');
    const trainFiles = p.train_tfrecords.length ? p.train_tfrecords : [p.train_labels];
    const train_data = {
      data: trainFiles.join(', '),
      images: train.count,
      sha256: (await filesHash(await expandFiles(trainFiles.map((f) => ctx.path(f))))).slice(0, 16),
    };
    // A fine-tune of a pruned model keeps the pruning facts (for the model card).
    let pruning: unknown;
    if (p.init_from) {
      const { readFile } = await import('node:fs/promises');
      pruning = await readFile(join(ctx.path(p.init_from), 'config.json'), 'utf8').then(
        (t) => (JSON.parse(t) as { pruning?: unknown }).pruning,
        () => undefined,
      );
    }
    const config: TrainedModelConfig = {
      input,
      preprocessing: preprocessingRecord(input),
      ...p,
      epochs_done: result.epochs,
      best_epoch: p.restore_best ? bestEpoch : null,
      // `engine` (from the options) is what was asked for, e.g. auto; `engine_used` the backend that ran.
      engine_used: engine.backend,
      // `precision` is what was asked for (resolved for this machine when run by the runner);
      // `precision_used` what ran (bf16 = mixed precision; the saved weights are float32 either way).
      precision_used: engine.precision,
      train_data,
      ...(pruning ? { pruning } : {}),
    };
    await saveTrainedModel(out, { model, heads, config });
    ctx.log(
      `saved ${p.out} (${result.epochs} epochs${bestEpoch !== null && p.restore_best ? `, weights of epoch ${bestEpoch}` : ''})`,
    );
    const metrics: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(logs)) metrics[k] = Number.isFinite(v) ? v : null;
    if (p.restore_best && bestEpoch !== null) metrics.best_epoch = bestEpoch;
    return { metrics };
  } finally {
    model?.dispose();
    for (const l of loaders) await l.close();
  }
}
