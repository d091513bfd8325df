/**
 * `mlc-pipe evaluate <model> <data>`: the evaluate stage's entry point (src/report/evaluate.ts)
 * outside a pipeline. Writes the report folder (to a temp folder, renamed into place when
 * complete) and prints the per-head metrics.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DataError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { entryPoint } from '../../../stages/entry-points.ts';
import { checkOptions } from '../../pipeline/check-options.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';
import { writeFolder } from '../output-folder.ts';

interface Flags {
  out?: string;
  root?: string;
  tune?: string;
  batchSize?: number;
  engine?: string;
  precision?: string;
  threads?: number;
  latencyRuns?: number;
  force?: boolean;
}

/** Option key → the flag that sets it, for messages. */
const FLAG: Record<string, string> = {
  model: '<model>',
  labels: '<data>',
  tfrecords: '<data>',
  out: '--out',
  root: '--root',
  tune_labels: '--tune',
  batch_size: '--batch-size',
  engine: '--engine',
  precision: '--precision',
  threads: '--threads',
  latency_runs: '--latency-runs',
};

/** A label file, or TFRecord shards (a folder of them, or one `.tfrecord` file). */
function dataOption(data: string): { labels: string } | { tfrecords: string[] } {
  const st = statSync(data, { throwIfNoEntry: false });
  if (!st)
    throw new DataError(
      'no such label file or TFRecord folder',
      { file: data },
      { hint: 'pass a label file (`<image path> <l0> … <lK-1>` per line) or a folder of TFRecord shards' },
    );
  return st.isDirectory() || /\.tfrecords?$/i.test(data) ? { tfrecords: [data] } : { labels: data };
}

export function registerEvaluate(program: Command, io: CliIO): void {
  program
    .command('evaluate')
    .description(
      'evaluate a trained model on a label file or TFRecord shards: writes the report folder (metrics.json, drawings, report.html) and prints per-head metrics',
    )
    .argument('<model>', 'trained model folder (models/<run>/)')
    .argument('<data>', 'label file, or a folder of TFRecord shards')
    .option('--out <dir>', 'report folder (default: reports/<model folder name>)')
    .option('--root <dir>', "image root for relative paths in the label file (default: the label file's folder)")
    .option('--tune <labels>', "validation label file on which each binary head's threshold is tuned for F1")
    .option('--batch-size <n>', 'images per inference batch (default: 32)', positiveInt('--batch-size'))
    .option('--force', 'replace the report folder when it exists')
    .option('--engine <name>', 'engine: auto, or one of the names in `mlc-pipe stages evaluate` (default: auto)')
    .option(
      '--precision <name>',
      'fp32, bf16 (mixed precision, native engine only) or auto (bf16 where the CPU has AMX/AVX512-BF16) (default: auto)',
    )
    .option(
      '--threads <n>',
      'engine threads; 0 = MLC_PIPE_THREADS, else every core (default: 0)',
      nonNegativeInt('--threads'),
    )
    .option(
      '--latency-runs <n>',
      'timed batch-1 passes for the latency written beside the report folder (<out>.latency.js, unhashed); 0 = none (default: 20)',
      nonNegativeInt('--latency-runs'),
    )
    .action(async (model: string, data: string, flags: Flags) => {
      const { evaluateOptionsSchema } = await entryPoint('evaluate-options');
      const options = checkOptions(
        evaluateOptionsSchema,
        {
          model,
          ...dataOption(data),
          out: flags.out ?? path.join('reports', path.basename(path.resolve(model))),
          ...(flags.root !== undefined ? { root: flags.root } : {}),
          ...(flags.tune !== undefined ? { tune_labels: flags.tune } : {}),
          ...(flags.batchSize !== undefined ? { batch_size: flags.batchSize } : {}),
          ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
          ...(flags.precision !== undefined ? { precision: flags.precision } : {}),
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          ...(flags.latencyRuns !== undefined ? { latency_runs: flags.latencyRuns } : {}),
        },
        { reference: '`mlc-pipe stages evaluate`', label: (k) => FLAG[k] ?? k },
      );
      const { evaluate, formatHeadMetrics } = await entryPoint('evaluate');
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once('SIGINT', abort);
      try {
        const { evaluation } = await writeFolder(
          options.out,
          { force: flags.force, owner: "a pipeline's evaluate stage may own it" },
          (temp) =>
            evaluate(options, {
              path: (p) => path.resolve(p),
              out: () => temp,
              log: (m) => io.err(m),
              progress: () => {},
              signal: controller.signal,
            }),
        );
        io.out(formatHeadMetrics(evaluation));
        io.out(`report: ${path.join(options.out, 'report.html')}`);
      } finally {
        process.off('SIGINT', abort);
      }
    });
}
