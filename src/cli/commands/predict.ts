/**
 * `mlc-pipe predict`: a trained model on image files and folders (src/predict).
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { lazyImport } from '../lazy-import.ts';
import { positiveInt } from '../options.ts';

export function registerPredict(program: Command, io: CliIO): void {
  program
    .command('predict')
    .description('predict labels for images with a trained model')
    .requiredOption('--model <dir>', 'trained model folder (models/<run>/)')
    .argument('<paths...>', 'image files or folders')
    .option('--out <file>', 'write predictions here (JSON/CSV by extension) instead of stdout')
    .option('--top-k <k>', 'classes per head to show (default: 1)', positiveInt('--top-k'))
    .action(async (paths: string[], flags: { model: string; out?: string; topK?: number }) => {
      type Predict = typeof import('../../predict/predict-files.ts');
      const mod = await lazyImport<Pick<Predict, 'predict' | 'formatPredictions'>>('src/predict/predict-files.ts', 'predict');
      // Without --out the predictions are stdout; summary lines (engine, …) then go to stderr.
      const log = flags.out ? (l: string) => io.out(l) : (l: string) => io.err(l);
      const rows = await mod.predict({ model: flags.model, paths, out: flags.out, topK: flags.topK, log });
      if (!flags.out) io.out(mod.formatPredictions(rows).replace(/\n$/, ''));
    });
}
