/**
 * `mlc-pipe data make`: writes a demo dataset through the make-dataset stage's entry point
 * (`makeDataset` in src/data/demo/make-dataset.ts).
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { entryPoint } from '../../../stages/entry-points.ts';
import { checkOptions } from '../../pipeline/check-options.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';
import { writeFolder } from '../output-folder.ts';

/** Option key → the argument or flag that sets it, for messages. */
const FLAG: Record<string, string> = {
  name: '<name>',
  out: '--out',
  n: '--n',
  seed: '--seed',
  val_fraction: '--val-fraction',
};

export function registerData(program: Command, io: CliIO): void {
  const data = program.command('data').description('datasets');
  data
    .command('make')
    .description('write a demo dataset (JPEGs + train/val/test.txt + classes.json)')
    .argument('<name>', 'dataset: plates or fashion-multilabel (`mlc-pipe stages make-dataset`)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--n <count>', 'number of images (default: 2400)', positiveInt('--n'))
    .option('--seed <seed>', 'random seed (default: 0)', nonNegativeInt('--seed'))
    .option('--val-fraction <f>', 'fraction in val, and again in test (default: 0.1)', Number)
    .option('--force', 'replace the output folder when it exists')
    .action(
      async (
        name: string,
        flags: { out: string; n?: number; seed?: number; valFraction?: number; force?: boolean },
      ) => {
        const { makeDatasetOptionsSchema } = await entryPoint('make-dataset-options');
        const options = checkOptions(
          makeDatasetOptionsSchema,
          {
            name,
            out: flags.out,
            ...(flags.n !== undefined ? { n: flags.n } : {}),
            ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
            ...(flags.valFraction !== undefined ? { val_fraction: flags.valFraction } : {}),
          },
          { reference: '`mlc-pipe stages make-dataset`', label: (k) => FLAG[k] ?? k },
        );
        const { makeDataset } = await entryPoint('make-dataset');
        await writeFolder(options.out, { force: flags.force, owner: 'a pipeline stage may own it' }, (temp) =>
          makeDataset(options, {
            path: (p) => path.resolve(p),
            out: () => temp,
            log: (m) => io.out(m),
            progress: () => {},
            signal: new AbortController().signal,
          }),
        );
      },
    );
}
