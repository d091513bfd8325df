/**
 * `mlc-pipe data make`: writes a demo dataset through the make-dataset stage's entry point
 * (`makeDataset` in src/data/demo/make-dataset.ts).
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { lazyImport } from '../lazy-import.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';
import { writeFolder } from '../output-folder.ts';

/** What this command uses of src/data/demo (the CLI never imports an ML area). */
interface DemoOptionsModule {
  makeDatasetOptions(options: Record<string, unknown>, label: (key: string) => string): Record<string, unknown> & { out: string };
}
interface DemoModule {
  makeDataset(options: Record<string, unknown>, io: { path(p: string): string; out(p: string): string; log(m: string): void; progress(m: string): void; signal: AbortSignal }): Promise<unknown>;
}

/** Option key → the argument or flag that sets it, for messages. */
const FLAG: Record<string, string> = { name: '<name>', out: '--out', n: '--n', seed: '--seed', val_fraction: '--val-fraction' };

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
    .action(async (name: string, flags: { out: string; n?: number; seed?: number; valFraction?: number; force?: boolean }) => {
      const { makeDatasetOptions } = await lazyImport<DemoOptionsModule>('src/data/demo/options.ts', 'data make');
      const options = makeDatasetOptions(
        { name, out: flags.out, ...(flags.n !== undefined ? { n: flags.n } : {}), ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(flags.valFraction !== undefined ? { val_fraction: flags.valFraction } : {}) },
        (k) => FLAG[k] ?? k,
      );
      const { makeDataset } = await lazyImport<DemoModule>('src/data/demo/make-dataset.ts', 'data make');
      await writeFolder(options.out, { force: flags.force, owner: 'a pipeline stage may own it' }, (temp) =>
        makeDataset(options, { path: (p) => path.resolve(p), out: () => temp, log: (m) => io.out(m), progress: () => {}, signal: new AbortController().signal }),
      );
    });
}
