/**
 * `prune(options, io)`: the pruning entry point. Starts the engine, prunes the model folder
 * `options.model` into `prunedFolder(options)` (model-folder.ts: network slimming, latency and,
 * given a split, accuracy before → after), logs the summary and returns it with the metrics the
 * prune stage records. The stage (stages/prune.ts) passes its params and its context as they are.
 */
import type { EntryIO } from '../entry-io.ts';
import { startEngine } from '../engine/index.ts';
import { pruneModelFolder, type PruneFolderReport } from './model-folder.ts';
import { prunedFolder, type PruneFolderOptions } from './options.ts';

/** What pruning returns: prune.json's content and the metrics the stage records. */
export interface PruneOutcome {
  report: PruneFolderReport;
  metrics: Record<string, number | null>;
}

const pct = (a: number, b: number) => (b === 0 ? '0' : ((100 * (b - a)) / b).toFixed(1));
const acc = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));

/** Prunes `options.model` and writes the pruned model folder (through `io.out`). */
export async function prune(options: PruneFolderOptions, io: EntryIO): Promise<PruneOutcome> {
  const p = options;
  await startEngine(p, io);
  io.progress(`pruning ${p.model}`);
  const split =
    p.val_tfrecords.length || p.val_labels
      ? {
          labels: p.val_labels ? io.path(p.val_labels) : undefined,
          tfrecords: p.val_tfrecords.map((f) => io.path(f)),
          root: p.root ? io.path(p.root) : undefined,
        }
      : undefined;
  const report = await pruneModelFolder(
    io.path(p.model),
    io.out(prunedFolder(p)),
    {
      ratio: p.ratio,
      threshold: p.threshold,
      minChannels: p.min_channels,
      minFraction: p.min_fraction,
      residual: p.residual,
    },
    p.model,
    { latencyRuns: p.latency_runs, split },
  );
  io.log(`${report.layers.length} prunable layers; channels ${report.channels.before} → ${report.channels.after}`);
  io.log(
    `params ${report.params.before} → ${report.params.after} (−${pct(report.params.after, report.params.before)}%), FLOPs ${report.flops.before} → ${report.flops.after} (−${pct(report.flops.after, report.flops.before)}%)`,
  );
  const m = report.measured;
  io.log(
    `latency (batch 1, ${m.latencyMs.backend}, median of ${m.latencyMs.runs}) ${m.latencyMs.before.toFixed(2)} → ${m.latencyMs.after.toFixed(2)} ms`,
  );
  if (m.accuracy) {
    const { before, after } = m.accuracy;
    io.log(
      `accuracy on ${p.val_labels || p.val_tfrecords.join(', ')} (${before.samples} images, before fine-tuning): all heads ${acc(before.allHeads)} → ${acc(after.allHeads)}; ${Object.keys(
        before.heads,
      )
        .map((h) => `${h} ${acc(before.heads[h]!)} → ${acc(after.heads[h]!)}`)
        .join(', ')}`,
    );
  }
  if (report.skipped.length > 0) {
    io.log(
      `${report.skipped.length} conv layers kept whole, e.g. ${report.skipped
        .slice(0, 3)
        .map((s) => `${s.layer}: ${s.reason}`)
        .join('; ')} (all in prune.json)`,
    );
  }
  if (report.layers.length === 0)
    io.log(
      'no prunable conv→BN group found (all channels meet residual adds or grouped convs): the model is unchanged',
    );
  return {
    report,
    metrics: {
      params_before: report.params.before,
      params_after: report.params.after,
      flops_before: report.flops.before,
      flops_after: report.flops.after,
      channels_before: report.channels.before,
      channels_after: report.channels.after,
      latency_ms_before: m.latencyMs.before,
      latency_ms_after: m.latencyMs.after,
      ...(m.accuracy
        ? { val_all_heads_acc_before: m.accuracy.before.allHeads, val_all_heads_acc_after: m.accuracy.after.allHeads }
        : {}),
    },
  };
}
