/**
 * `mlc-pipe data make`: writes a demo dataset (src/data/demo).
 */
import { Argument, type Command } from 'commander';
import type { CliIO } from '../io.ts';
import { lazyImport } from '../lazy-import.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';

export function registerData(program: Command, io: CliIO): void {
  const data = program.command('data').description('datasets');
  data
    .command('make')
    .description('write a demo dataset (JPEGs + train/val/test.txt + classes.json)')
    .addArgument(new Argument('<name>', 'dataset').choices(['plates', 'fashion-multilabel']))
    .requiredOption('--out <dir>', 'output folder')
    .option('--n <count>', 'number of images', positiveInt('--n'), 2400)
    .option('--seed <seed>', 'random seed', nonNegativeInt('--seed'), 0)
    .option('--val-fraction <f>', 'fraction in val, and again in test (default: 0.1)', parseFloat)
    .action(async (name: 'plates' | 'fashion-multilabel', flags: { out: string; n: number; seed: number; valFraction?: number }) => {
      const { makeDemoDataset } = await lazyImport<{ makeDemoDataset(name: string, o: Record<string, unknown>): Promise<unknown> }>('src/data/demo/index.ts', 'data make');
      const r = (await makeDemoDataset(name, { out: flags.out, n: flags.n, seed: flags.seed, valFraction: flags.valFraction })) as unknown;
      io.out(`${name}: ${flags.n} images in ${flags.out}${r && typeof r === 'object' && 'counts' in r ? ` ${JSON.stringify((r as { counts: unknown }).counts)}` : ''}`);
    });
}
