/**
 * train()'s last steps on the lead rank: restoring the best epoch's weights (`restore_best`), and
 * writing the model folder with its config (provenance of the train data, pruning facts kept).
 */
import { join } from 'node:path';
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import type { HeldModel } from './train-model.ts';
import type { Logs } from './callbacks/base.ts';
import type { ModelCheckpoint } from './callbacks/model-checkpoint.ts';
import type { HeadSpec } from '../data/heads.ts';
import { preprocessingRecord } from '../data/image/preprocessing.ts';
import type { EngineInfo, tf } from '../engine/index.ts';
import { loadLayersModel, saveTrainedModel, type InputConfig, type TrainedModelConfig } from '../model/io.ts';

const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));

/** What the loop ended with: its last epoch's logs and how many epochs ran. */
interface LoopEnd {
  logs: Logs;
  epochs: number;
}

/**
 * With `restore_best` and a best epoch other than the last, replaces `held.model` by the best
 * checkpoint. Returns the logs to report and the best epoch (null without validation or a best).
 */
export async function restoreBest(
  p: TrainOptions,
  ctx: TrainIO,
  held: HeldModel,
  result: LoopEnd,
  hasVal: boolean,
  checkpoint: ModelCheckpoint,
  ckptDir: string,
): Promise<{ logs: Logs; bestEpoch: number | null }> {
  let logs = result.logs;
  let bestEpoch: number | null = null;
  if (p.restore_best && hasVal && checkpoint.bestEpoch > 0 && checkpoint.bestEpoch !== result.epochs) {
    held.model!.dispose();
    held.model = undefined;
    held.model = await loadLayersModel(join(ckptDir, 'best'));
    bestEpoch = checkpoint.bestEpoch;
    logs = checkpoint.bestLogs;
    ctx.log(
      `restored the best epoch by ${p.monitor}: ${bestEpoch} of ${result.epochs} (${p.monitor} ${fmt(logs[p.monitor])} vs last ${fmt(result.logs[p.monitor])})`,
    );
  } else if (hasVal && checkpoint.bestEpoch > 0) bestEpoch = checkpoint.bestEpoch;
  return { logs, bestEpoch };
}

/** Writes the trained model folder `out` (weights, heads, config) and logs it. */
export async function writeTrainedModel(
  p: TrainOptions,
  ctx: TrainIO,
  out: string,
  run: {
    model: tf.LayersModel;
    heads: HeadSpec[];
    input: InputConfig;
    images: number;
    epochs: number;
    bestEpoch: number | null;
    engine: EngineInfo;
  },
): Promise<void> {
  const { model, heads, input, engine, bestEpoch } = run;
  const { expandFiles, filesHash } = await import('../report/provenance.ts');
  const trainFiles = p.train_tfrecords.length ? p.train_tfrecords : [p.train_labels];
  const train_data = {
    data: trainFiles.join(', '),
    images: run.images,
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
    epochs_done: run.epochs,
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
    `saved ${p.out} (${run.epochs} epochs${bestEpoch !== null && p.restore_best ? `, weights of epoch ${bestEpoch}` : ''})`,
  );
}
