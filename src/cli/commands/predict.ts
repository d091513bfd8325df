/**
 * `mlc-pipe predict`: a model (model folder, export folder or model.onnx) on image files and
 * folders (src/predict). Only predictions go to stdout; the engine line, the file written and the
 * count of unreadable files go to stderr. An unreadable file is a row with an error, never the end
 * of the batch: exit 0, or 1 with --strict.
 */
import type { Command } from 'commander';
import { ConfigError, MlcPipeError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { entryPoint, type EntryPoint } from '../../../stages/entry-points.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';

/** The engine names `predict` takes; it checks the name itself (an unknown one: ConfigError with a did-you-mean). */
type PredictEngine = Parameters<EntryPoint<'predict'>['predict']>[0]['engine'];
/** Likewise the precision (fp32, bf16, auto; `startEngine` checks it). */
type PredictPrecision = Parameters<EntryPoint<'predict'>['predict']>[0]['precision'];

/** The formats of `--format`: what stdout (or `--out`) holds. */
export const PREDICT_FORMATS = ['table', 'json', 'csv'] as const;

interface Flags {
  model: string;
  out?: string;
  format?: string;
  topK?: number;
  engine?: string;
  precision?: string;
  threads?: number;
  strict?: boolean;
}

export function registerPredict(program: Command, io: CliIO): void {
  program
    .command('predict')
    .description('predict labels for images with a trained model, an export folder or a model.onnx')
    .requiredOption(
      '--model <path>',
      'model folder (models/<run>/), export folder (exports/<run>/) or model.onnx (classes.json beside it)',
    )
    .argument('<paths...>', 'image files or folders')
    .option('--out <file>', 'write predictions here instead of stdout')
    .option(
      '--format <format>',
      `${PREDICT_FORMATS.join(', ')} (default: table on stdout; with --out, json for a .json file, else csv)`,
    )
    .option('--top-k <k>', 'classes per head to show (default: 1)', positiveInt('--top-k'))
    .option(
      '--engine <name>',
      'engine: auto, or one of the names in `mlc-pipe stages train` (default: auto; a model.onnx runs on onnxruntime-node)',
    )
    .option(
      '--precision <name>',
      'fp32, bf16 or auto: bf16 = mixed precision on the native engine only; auto = bf16 where the CPU has AMX/AVX512-BF16 (default: auto)',
    )
    .option(
      '--threads <n>',
      'engine threads; 0 = MLC_PIPE_THREADS, else every core (default: 0)',
      nonNegativeInt('--threads'),
    )
    .option('--strict', 'exit 1 when a file could not be read (default: such files are rows with an error, exit 0)')
    .action(async (paths: string[], flags: Flags) => {
      if (flags.format !== undefined && !(PREDICT_FORMATS as readonly string[]).includes(flags.format)) {
        throw new ConfigError(`--format ${flags.format}: expected one of ${PREDICT_FORMATS.join(', ')}`);
      }
      if (flags.out && flags.format === 'table')
        throw new ConfigError('--format table is for the terminal; with --out use json or csv');
      const mod = await entryPoint('predict');
      const format = flags.format as (typeof PREDICT_FORMATS)[number] | undefined;
      // stdout is the data only: every other line goes to stderr.
      const rows = await mod.predict({
        model: flags.model,
        paths,
        out: flags.out,
        format: format === 'table' ? undefined : format,
        topK: flags.topK,
        engine: flags.engine as PredictEngine,
        precision: flags.precision as PredictPrecision,
        threads: flags.threads,
        log: (l) => io.err(l),
      });
      if (!flags.out) {
        if (format === 'json') io.out(mod.predictionsJson(rows).replace(/\n$/, ''));
        else if (format === 'csv') {
          const { readClassesFor } = await entryPoint('predict-classes');
          io.out(mod.predictionsCsv(await readClassesFor(flags.model), rows, flags.topK ?? 1).replace(/\n$/, ''));
        } else io.out(mod.formatPredictions(rows).replace(/\n$/, ''));
      }
      const failed = rows.filter((r) => r.error !== undefined).length;
      if (failed && flags.strict)
        throw new MlcPipeError(`${failed} of ${rows.length} files could not be read (--strict)`, {
          hint: 'the rows with an error say why; drop --strict to exit 0 with them',
        });
    });
}
