/**
 * `evaluate(options, io)`: the evaluation entry point. Runs a trained model folder over a labelled
 * split (a label file or TFRecord shards), optionally tunes binary thresholds on another split, and
 * writes the report folder (metrics.json, run.json, drawings, wrong.csv, report.html; see
 * write.ts). The evaluate stage (stages/evaluate.ts) passes its params and its context as they
 * are; `mlc-pipe evaluate` builds the options from its flags.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { readLabelFile } from '../data/labels.ts';
import { startEngine } from '../engine/index.ts';
import type { EntryIO } from '../entry-io.ts';
import { DataError } from '../errors.ts';
import { loadTrainedModel } from '../model/io.ts';
import { modelCost } from '../prune/cost.ts';
import type { ModelFacts, PruningFacts } from './html.ts';
import { packageRoot } from '../package-root.ts';
import type { EvaluateOptions } from './evaluate-options.ts';
import { inferWith, tunedThresholds } from './evaluate-infer.ts';
import { checkLabelRanges, evaluationData, preflightEvaluate, shardFiles } from './evaluate-inputs.ts';
import { keyMetrics, type Metrics } from './metrics/evaluate.ts';
import { codeVersion, filesHash, modelFilesHash } from './provenance.ts';
import { writeReport } from './write.ts';
import { measureToSidecar } from './latency.ts';
import { latencySidecarHref, latencySidecarPath } from './latency-sidecar.ts';

export { formatHeadMetrics } from './head-table.ts';

/** Where evaluation reads, writes and reports (a stage's `ctx` is one). */
export type EvaluateIO = EntryIO;

/** What evaluation returns: the key metrics (the stage's lock metrics) and every metric (metrics.json). */
export interface EvaluateOutcome {
  metrics: Record<string, number | null>;
  evaluation: Metrics;
  /** Files written into the report folder. */
  files: string[];
  /** Images evaluated. */
  images: number;
  /** The engine's tfjs backend. */
  backend: string;
}

/**
 * The report's "model" section: params and FLOPs (batch 1, src/prune/cost.ts), size on disk of
 * model.json and its weight files, and a pruned (or pruned then fine-tuned) model's pruning facts
 * from its own config.json. No latency here: the report is a hashed output and a timing is not a
 * function of its inputs; evaluate measures it into an unhashed sidecar the page loads (latency-sidecar.ts).
 */
async function modelFacts(
  modelDir: string,
  model: Parameters<typeof modelCost>[0],
  config: { pruning?: PruningFacts },
): Promise<ModelFacts> {
  const cost = modelCost(model);
  const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as {
    weightsManifest?: Array<{ paths: string[] }>;
  };
  let sizeBytes = 0;
  for (const f of ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths)])
    sizeBytes += (await stat(join(modelDir, f))).size;
  return { params: cost.params, flops: cost.flops, sizeBytes, ...(config.pruning ? { pruning: config.pruning } : {}) };
}

/** Batch-1 latency into the unhashed sidecar beside the report, or an earlier sidecar removed with latency_runs 0. */
async function recordLatency(
  p: EvaluateOptions,
  io: EvaluateIO,
  model: Parameters<typeof measureToSidecar>[0],
  modelSha: string,
  engine: { backend: string; notes: string[] },
): Promise<void> {
  if (p.latency_runs === 0) {
    await rm(latencySidecarPath(io.path(p.out)), { force: true }); // an earlier one may be of another model
    return;
  }
  const l = await measureToSidecar(model, latencySidecarPath(io.path(p.out)), p.latency_runs, {
    model: p.model,
    'model sha256': modelSha,
    engine: engine.notes.length ? `${engine.backend} (${engine.notes.join('; ')})` : engine.backend,
  });
  io.log(
    `latency (batch 1, median of ${l.runs}) ${l.median_ms.toFixed(2)} ms: ${latencySidecarPath(p.out)} (unhashed, beside the report)`,
  );
}

/** The report's provenance lines: model, data, engines, precision and code, each with its hash where it has one. */
async function reportMeta(
  p: EvaluateOptions,
  r: {
    modelSha: string;
    hashed: string[];
    useRecords: boolean;
    engine: { backend: string; precision: string };
    config: Record<string, unknown>;
    warnings: string[];
  },
): Promise<Record<string, string>> {
  const { modelSha, hashed, useRecords, engine, config, warnings } = r;
  const trainEngine = config.engine_used ?? config.engine;
  return {
    model: p.model,
    // convert checks this to know the export has an evaluation behind it
    'model sha256': modelSha,
    data: useRecords ? p.tfrecords.join(', ') : p.labels,
    'data sha256': (await filesHash(hashed)).slice(0, 16),
    engine: `${engine.backend} (evaluate)${typeof trainEngine === 'string' ? `, ${trainEngine} (train)` : ''}`,
    // What the convs and matmuls computed in (bf16 = mixed precision, src/engine/precision.ts).
    precision: `${engine.precision} (evaluate)${typeof config.precision_used === 'string' ? `, ${config.precision_used} (train)` : ''}`,
    code: await codeVersion(packageRoot()),
    // no timestamps: the report is a hashed output, a function of model, data, params and code
    // (when it ran is in the lock file's `at` and the stage log)
    ...(warnings.length ? { 'data warnings': warnings.join(' | ') } : {}),
  };
}

/** The key metrics on one line, `–` where undefined. */
function formatKeyMetrics(key: Record<string, number | null>): string {
  return Object.entries(key)
    .map(([k, v]) => `${k} ${v === null ? '–' : Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' · ');
}

/** Evaluates `options.model` and writes the report folder `options.out` (through `io.out`). */
export async function evaluate(options: EvaluateOptions, io: EvaluateIO): Promise<EvaluateOutcome> {
  const p = options;
  const modelDir = io.path(p.model);
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new DataError(
      'no trained model here (model.json missing)',
      { file: modelDir },
      { hint: 'run the train stage first, or point `model` at a folder train wrote' },
    );
  }
  const { useRecords, labelFile, records } = evaluationData(p, io);
  // The label file's records, read once: the pre-flight's and the label range check's.
  const { records: labelRecords, warnings } = labelFile
    ? await preflightEvaluate(modelDir, p.labels, labelFile, io)
    : { records: undefined, warnings: [] };
  for (const w of warnings) io.log(`warning: ${w}`);
  const engine = await startEngine(p, io);
  const { model, heads, config } = await loadTrainedModel(modelDir);
  const infer = inferWith(p, io, model, heads, config.input);
  try {
    if (labelFile && labelRecords) checkLabelRanges(labelFile, labelRecords, heads);
    if (p.tune_labels)
      checkLabelRanges(io.path(p.tune_labels), await readLabelFile(io.path(p.tune_labels), heads.length), heads);
    const thresholds = await tunedThresholds(p, io, heads, infer);
    const root = useRecords ? undefined : p.root ? io.path(p.root) : dirname(labelFile!);
    const data = await infer('evaluate', labelFile, useRecords ? records : undefined, root);
    io.log(`predicted ${data.paths.length} images with ${engine.backend}`);
    // The data hash covers what was evaluated: the label file and every image it lists, or the TFRecord shards.
    const hashed = useRecords
      ? (await Promise.all(records.map(shardFiles))).flat()
      : [labelFile!, ...data.paths.map((f) => (isAbsolute(f) ? f : join(root!, f)))];
    const { input: _input, ...trainParams } = config;
    const { latency_runs: latencyRuns, ...evaluateParams } = p; // latency is not in the hashed report (latency-sidecar.ts)
    const modelSha = await modelFilesHash(modelDir);
    const { evaluation, files } = await writeReport(
      { ...data, heads },
      {
        out: io.out(p.out),
        title: basename(modelDir),
        meta: await reportMeta(p, { modelSha, hashed, useRecords, engine, config, warnings }),
        params: { train: trainParams, evaluate: evaluateParams },
        confusionNormalize: p.confusion_normalize,
        calibrationBins: p.calibration_bins,
        compareTo: p.compare_to ? io.path(p.compare_to) : undefined,
        imageRoot: useRecords ? null : root, // TFRecords hold the pixels, not files to thumbnail
        history: join(modelDir, 'history.jsonl'),
        bestEpoch: ((b: unknown) => (typeof b === 'number' ? b : null))(
          (config as { best_epoch?: unknown }).best_epoch,
        ),
        model: {
          ...(await modelFacts(modelDir, model, config as { pruning?: PruningFacts })),
          ...(latencyRuns > 0 ? { latency: { href: latencySidecarHref(p.out), sha256: modelSha } } : {}),
        },
        baseConfidence: p.base_confidence,
        topK: p.top_k,
        thresholds,
        worst: p.worst,
        log: (m) => io.log(m),
      },
    );
    await recordLatency(p, io, model, modelSha, engine);
    const key = keyMetrics(evaluation.metrics);
    io.log(`wrote ${files.join(', ')} to ${p.out}`);
    io.log(formatKeyMetrics(key));
    return { metrics: key, evaluation: evaluation.metrics, files, images: data.paths.length, backend: engine.backend };
  } finally {
    model.dispose();
  }
}
