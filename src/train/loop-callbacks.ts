/** train()'s loop callbacks and resume point. */
import { join } from 'node:path';
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import type { TrainCallback } from './callbacks/base.ts';
import { EarlyStopping } from './callbacks/early-stopping.ts';
import { History } from './callbacks/history.ts';
import { ModelCheckpoint } from './callbacks/model-checkpoint.ts';
import { ProgressLogger } from './callbacks/progress.ts';
import { TensorBoard } from './callbacks/tensorboard.ts';
import { resumePoint, runKeyOf } from './resume.ts';
import type { ProcessGroup } from '../engine/distributed/process-group.ts';

/**
 * The loop's callbacks (history, progress, TensorBoard, early stopping, checkpoints) and where it
 * resumes from. Ranks > 0 of a data-parallel run get none: rank 0 logs, validates and checkpoints,
 * and shares its epoch-end decisions (./distributed/data-parallel.ts).
 */
export async function loopCallbacks(p: TrainOptions, ctx: TrainIO, out: string, hasVal: boolean, group?: ProcessGroup) {
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
