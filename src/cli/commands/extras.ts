/**
 * Commands that hand off to other parts of mlc-pipe, imported lazily:
 * `data make`, `predict`, `metrics diff`.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Argument, type Command } from 'commander';
import { MlcPipeError } from '../../errors.ts';
import { fromPackageRoot } from '../../stage/package-root.ts';
import { ensureTsx } from '../../stage/tsx.ts';
import type { CliIO } from '../io.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';

export function registerExtras(program: Command, io: CliIO): void {
  const data = program.command('data').description('datasets');
  data
    .command('make')
    .description('write a demo dataset (JPEGs + train/val/test.txt + classes.json)')
    .addArgument(new Argument('<name>', 'dataset').choices(['plates', 'fashion-multilabel']))
    .requiredOption('--out <dir>', 'output folder')
    .option('--n <count>', 'number of images (default: 2400)', positiveInt('--n'), 2400)
    .option('--seed <seed>', 'random seed (default: 0)', nonNegativeInt('--seed'), 0)
    .option('--val-fraction <f>', 'fraction in val, and again in test (default: 0.1)', parseFloat)
    .action(async (name: 'plates' | 'fashion-multilabel', flags: { out: string; n: number; seed: number; valFraction?: number }) => {
      const { makeDemoDataset } = await lazy<{ makeDemoDataset(name: string, o: Record<string, unknown>): Promise<unknown> }>('src/data/demo/index.ts', 'data make');
      const r = (await makeDemoDataset(name, { out: flags.out, n: flags.n, seed: flags.seed, valFraction: flags.valFraction })) as unknown;
      io.out(`${name}: ${flags.n} images in ${flags.out}${r && typeof r === 'object' && 'counts' in r ? ` ${JSON.stringify((r as { counts: unknown }).counts)}` : ''}`);
    });

  program
    .command('predict')
    .description('predict labels for images with a trained model')
    .requiredOption('--model <dir>', 'trained model folder (models/<run>/)')
    .argument('<paths...>', 'image files or folders')
    .option('--out <file>', 'write predictions here (JSON/CSV by extension) instead of stdout')
    .option('--top-k <k>', 'classes per head to show (default: 1)', positiveInt('--top-k'))
    .action(async (paths: string[], flags: { model: string; out?: string; topK?: number }) => {
      type Predict = typeof import('../../predict/predict-files.ts');
      const mod = await lazy<Pick<Predict, 'predict' | 'formatPredictions'>>('src/predict/predict-files.ts', 'predict');
      // Without --out the predictions are stdout; summary lines (engine, …) then go to stderr.
      const log = flags.out ? (l: string) => io.out(l) : (l: string) => io.err(l);
      const rows = await mod.predict({ model: flags.model, paths, out: flags.out, topK: flags.topK, log });
      if (!flags.out) io.out(mod.formatPredictions(rows).replace(/\n$/, ''));
    });

  const metrics = program.command('metrics').description('metrics of evaluated runs');
  metrics
    .command('diff')
    .description('compare the metrics of two runs (report folders or metrics.json files)')
    .argument('<runA>')
    .argument('<runB>')
    .action(async (a: string, b: string) => {
      const mod = await lazy<{ metricsDiff(a: string, b: string): string | Promise<string> }>('src/report/diff.ts', 'metrics diff');
      io.out(await mod.metricsDiff(a, b));
    });
}

/** Imports a module another part of mlc-pipe provides (path from the package root); a clear error when it is not there. */
async function lazy<T>(rel: string, command: string): Promise<T> {
  const abs = fromPackageRoot(rel);
  if (!existsSync(abs)) throw new MlcPipeError(`\`${command}\` is not available in this build (${rel} is missing)`, { hint: 'update mlc-pipe' });
  await ensureTsx();
  return (await import(pathToFileURL(abs).href)) as T;
}
