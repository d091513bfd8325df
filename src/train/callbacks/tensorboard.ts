/**
 * TensorBoard logs in Keras' layout (ported from keras/src/callbacks/tensorboard.py): two runs,
 * `<dir>/train/` and `<dir>/validation/`, each with its own event file and the SAME tags, so
 * TensorBoard overlays training and validation curves:
 *
 *   train/       epoch_loss, epoch_<head>_loss, epoch_l2, …, epoch_learning_rate
 *                batch_<name> every `batchFreq` steps (when set)
 *                <weight name> histograms every `histogramFreq` epochs (when set)
 *   validation/  epoch_loss, epoch_<head>_acc, epoch_all_heads_acc, … (the `val_` logs)
 *
 * Porting note: Keras names the learning rate `epoch_learning_rate` and histograms by weight
 * path; both are kept. Steps are epochs (1-based) for epoch scalars and histograms and global
 * batch numbers for batch scalars, as in Keras.
 */
import { join } from 'node:path';
import { EventWriter, histogramOf } from '../tensorboard/event-writer.ts';
import type { Logs, LoopHandle, TrainCallback } from './base.ts';

export interface TensorBoardArgs {
  /** Log folder; the runs are its `train/` and `validation/` subfolders (e.g. `models/<run>/tb`). */
  dir: string;
  /** Also write batch scalars every N steps (0 = epochs only). Defaults to 0. */
  batchFreq?: number;
  /** Write a histogram of every trainable weight every N epochs (0 = never). Defaults to 0. */
  histogramFreq?: number;
}

/** Keras' tag of a log name: `lr` → `learning_rate`, everything else as is. */
function tagName(k: string): string {
  return k === 'lr' ? 'learning_rate' : k;
}

/** Splits epoch logs into the two runs: `val_x` → validation `epoch_x`, the rest → train `epoch_<name>`. */
export function epochScalars(logs: Logs): { train: Logs; validation: Logs } {
  const train: Logs = {};
  const validation: Logs = {};
  for (const [k, v] of Object.entries(logs)) {
    if (k.startsWith('val_')) validation[`epoch_${k.slice(4)}`] = v;
    else train[`epoch_${tagName(k)}`] = v;
  }
  return { train, validation };
}

export class TensorBoard implements TrainCallback {
  private train?: EventWriter;
  private validation?: EventWriter;
  private loop?: LoopHandle;
  private epoch = 0;
  constructor(private readonly args: TensorBoardArgs) {}

  onTrainBegin(loop: LoopHandle): void {
    this.loop = loop;
    this.train = new EventWriter(join(this.args.dir, 'train'));
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  async onBatchEnd(step: number, logs: Logs): Promise<void> {
    const f = this.args.batchFreq ?? 0;
    if (!f || step % f !== 0 || !this.train) return;
    const global = this.epoch * (this.loop?.stepsPerEpoch ?? 0) + step;
    await this.train.scalars(
      global,
      Object.fromEntries(Object.entries(logs).map(([k, v]) => [`batch_${tagName(k)}`, v])),
    );
  }
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const { train, validation } = epochScalars(logs);
    await this.train?.scalars(epoch + 1, train);
    if (Object.keys(validation).length) {
      this.validation ??= new EventWriter(join(this.args.dir, 'validation'));
      await this.validation.scalars(epoch + 1, validation);
    }
    const h = this.args.histogramFreq ?? 0;
    if (h > 0 && (epoch + 1) % h === 0 && this.loop?.weights) {
      const weights = this.loop.weights();
      await this.train?.histograms(epoch + 1, Object.fromEntries(weights.map((w) => [w.name, histogramOf(w.values)])));
    }
  }
  async onTrainEnd(): Promise<void> {
    await this.train?.flush();
    await this.validation?.flush();
  }
}
