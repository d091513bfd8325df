/** Evaluate's passes over the model: one loader's inference, and the binary thresholds tuned on `tune_labels`. */
import type { HeadSpec } from '../data/heads.ts';
import { createLoader } from '../data/loader/create-loader.ts';
import type { EntryIO } from '../entry-io.ts';
import { loaderInputOptions } from '../model/io.ts';
import { inferAll } from '../predict/loader-inference.ts';
import type { EvaluateOptions } from './evaluate-options.ts';
import { labelColumn } from './metrics/categorical.ts';
import { tuneThresholds } from './metrics/multilabel.ts';

/** Runs the model over a loader's batches, closing the loader; `which` names the pass in progress lines. */
export type Infer = (
  which: string,
  labels: string | undefined,
  tfrecords: string[] | undefined,
  root: string | undefined,
) => ReturnType<typeof inferAll>;

export function inferWith(
  p: EvaluateOptions,
  io: EntryIO,
  model: Parameters<typeof inferAll>[0],
  heads: HeadSpec[],
  input: Parameters<typeof loaderInputOptions>[0] & { height: number; width: number; channels?: number },
): Infer {
  return async (which, labels, tfrecords, root) => {
    const loader = await createLoader({
      labels,
      tfrecords,
      root,
      heads: heads.length,
      ...loaderInputOptions(input),
      batchSize: p.batch_size,
      shuffle: false,
      augment: false,
    });
    try {
      return await inferAll(model, heads, loader, {
        height: input.height,
        width: input.width,
        channels: input.channels ?? 3,
        signal: io.signal,
        progress: (done, total) => io.progress(`${which}: ${done}/${total} images`),
      });
    } finally {
      await loader.close();
    }
  };
}

/** Per binary head, the threshold that maximises its F1 on `tune_labels`; undefined without tune_labels. */
export async function tunedThresholds(
  p: EvaluateOptions,
  io: EntryIO,
  heads: HeadSpec[],
  infer: Infer,
): Promise<number[] | undefined> {
  if (!p.tune_labels) return undefined;
  const val = await infer('tuning', io.path(p.tune_labels), undefined, undefined);
  const binary = heads.map((h, i) => ({ h, i })).filter(({ h }) => h.classes.length === 1);
  const thresholds = tuneThresholds(
    binary.map(({ i }) => val.probs[i]!),
    binary.map(({ i }) => labelColumn(val.labels, heads.length, i)),
  );
  io.log(
    `tuned thresholds on ${p.tune_labels}: ${binary.map(({ h }, b) => `${h.name}=${thresholds[b]!.toFixed(3)}`).join(', ') || 'no binary heads'}`,
  );
  return thresholds;
}
