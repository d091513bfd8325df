/**
 * `mlc-pipe predict`: a trained model on image files and folders (src/predict).
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { lazyImport } from '../lazy-import.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';

/** What this command uses of src/predict/predict-files.ts (the CLI never imports an ML area). */
interface PredictModule {
  predict(options: { model: string; paths: string[]; out?: string; topK?: number; engine?: string; threads?: number; log(line: string): void }): Promise<unknown[]>;
  formatPredictions(rows: unknown[]): string;
}

export function registerPredict(program: Command, io: CliIO): void {
  program
    .command('predict')
    .description('predict labels for images with a trained model')
    .requiredOption('--model <dir>', 'trained model folder (models/<run>/)')
    .argument('<paths...>', 'image files or folders')
    .option('--out <file>', 'write predictions here (JSON/CSV by extension) instead of stdout')
    .option('--top-k <k>', 'classes per head to show (default: 1)', positiveInt('--top-k'))
    .option('--engine <name>', 'engine: auto, or one of the names in `mlc-pipe stages train` (default: auto)')
    .option('--threads <n>', 'engine threads; 0 = MLC_PIPE_THREADS, else every core (default: 0)', nonNegativeInt('--threads'))
    .action(async (paths: string[], flags: { model: string; out?: string; topK?: number; engine?: string; threads?: number }) => {
      const mod = await lazyImport<PredictModule>('src/predict/predict-files.ts', 'predict');
      // Without --out the predictions are stdout; summary lines (engine, …) then go to stderr.
      const log = flags.out ? (l: string) => io.out(l) : (l: string) => io.err(l);
      const rows = await mod.predict({ model: flags.model, paths, out: flags.out, topK: flags.topK, engine: flags.engine, threads: flags.threads, log });
      if (!flags.out) io.out(mod.formatPredictions(rows).replace(/\n$/, ''));
    });
}
