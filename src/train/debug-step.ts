/** train()'s `debug` step: the first training batch through debugBatch, written to debug.json and logged as a table. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import type { tf } from '../engine/index.ts';
import { DataError } from '../errors.ts';
import type { HeadSpec } from '../data/heads.ts';
import type { Loader } from '../data/loader/create-loader.ts';
import { debugBatch, formatDebugTable, type DebugOptions } from './debug.ts';

export async function writeDebugBatch(
  p: TrainOptions,
  ctx: TrainIO,
  out: string,
  run: {
    model: tf.LayersModel;
    heads: HeadSpec[];
    train: Loader;
    trainLabels: string | undefined;
    inputShape: [number, number, number];
    objective: Omit<DebugOptions, 'checkNumerics'>;
  },
): Promise<void> {
  const first = run.train.epoch(0)[Symbol.asyncIterator]();
  const batch = (await first.next()).value;
  await first.return?.();
  if (!batch) throw new DataError('debug: the training set is empty', { file: run.trainLabels });
  const { loss, lossOptions, l2 } = run.objective;
  const report = debugBatch(run.model, run.heads, batch, run.inputShape, {
    loss,
    lossOptions,
    l2,
    checkNumerics: p.check_numerics,
  });
  await writeFile(join(out, 'debug.json'), JSON.stringify(report, null, 1));
  for (const line of formatDebugTable(report).split('\n')) ctx.log(line);
}
