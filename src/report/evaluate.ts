/**
 * `evaluate(options, io)`: the evaluation entry point. Runs a trained model folder over a labelled
 * split (a label file or TFRecord shards), optionally tunes binary thresholds on another split, and
 * writes the report folder (metrics.json, run.json, drawings, wrong.csv, report.html; see
 * write.ts). The evaluate stage (stages/evaluate.ts) passes its params and its context as they
 * are; `mlc-pipe evaluate` builds the options from its flags.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { maxLabel, readClassesFile, type HeadSpec } from '../data/heads.ts';
import { absentFromTrain, fewImages, refuseEmpty } from '../data/check/preflight.ts';
import { readLabelFile, type LabelRecord } from '../data/labels.ts';
import { createLoader } from '../data/loader/create-loader.ts';
import { startEngine } from '../engine/index.ts';
import type { EntryIO } from '../entry-io.ts';
import { DataError } from '../errors.ts';
import { loadTrainedModel, loaderInputOptions } from '../model/io.ts';
import { modelCost } from '../prune/cost.ts';
import type { ModelFacts, PruningFacts } from './html.ts';
import { packageRoot } from '../package-root.ts';
import { inferAll } from '../predict/loader-inference.ts';
import type { EvaluateOptions } from './evaluate-options.ts';
import { labelColumn } from './metrics/categorical.ts';
import { keyMetrics, type Metrics } from './metrics/evaluate.ts';
import { tuneThresholds } from './metrics/multilabel.ts';
import { codeVersion, filesHash, modelFilesHash } from './provenance.ts';
import { writeReport } from './write.ts';
import { measureToSidecar } from './latency.ts';
import { latencySidecarHref, latencySidecarPath } from './latency-sidecar.ts';

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

/** The files behind a TFRecord argument: the file itself, or every file under a folder (sorted). */
async function shardFiles(abs: string): Promise<string[]> {
  if (!(await stat(abs)).isDirectory()) return [abs];
  return (await readdir(abs, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A label file whose every label fits its head (metrics index by class): else a DataError at the line. */
function checkLabelRanges(file: string, records: LabelRecord[], heads: HeadSpec[]): void {
  for (const r of records) {
    const i = r.labels.findIndex((v, h) => v < -1 || v > maxLabel(heads[h]!));
    if (i >= 0) {
      throw new DataError(
        `label ${r.labels[i]} in column ${i + 1} (head ${heads[i]!.name}) is outside [-1, ${maxLabel(heads[i]!)}]`,
        { file, line: r.line },
        {
          hint: "labels index the model's classes.json (-1 = unknown); run check-labels to list every bad line",
        },
      );
    }
  }
}

/**
 * Pre-flight, before the engine starts: an empty label file is refused (exit 2); classes with
 * fewer than 5 images in the model's train split (config.json `train_data.data`, when it is one
 * label file still there) and classes of this split that train never had are returned as warnings.
 */
async function preflightEvaluate(
  modelDir: string,
  shown: string,
  labelFile: string,
  io: EntryIO,
): Promise<{ records: LabelRecord[]; warnings: string[] }> {
  const { heads } = await readClassesFile(join(modelDir, 'classes.json'));
  const split = { name: 'evaluated', file: shown, records: await readLabelFile(labelFile, heads.length) };
  refuseEmpty(
    split,
    'if check-labels wrote it, it rejected every line (see rejects.txt beside it); otherwise point `labels` at a split with images',
  );
  const trainFile = await readFile(join(modelDir, 'config.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { train_data?: { data?: string } }).train_data?.data,
    () => undefined,
  );
  if (!trainFile || trainFile.includes(', ') || !/\.txt$/.test(trainFile) || !existsSync(io.path(trainFile)))
    return { records: split.records, warnings: [] };
  const train = { name: 'train', file: trainFile, records: await readLabelFile(io.path(trainFile), heads.length) };
  return { records: split.records, warnings: [...fewImages(heads, train), ...absentFromTrain(heads, train, split)] };
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

/** The data to evaluate on: a label file or TFRecord shards, each checked to exist (as is the tuning file). */
function evaluationData(
  p: EvaluateOptions,
  io: EvaluateIO,
): { useRecords: boolean; labelFile?: string; records: string[] } {
  const useRecords = p.tfrecords.length > 0;
  const labelFile = useRecords ? undefined : io.path(p.labels);
  const records = p.tfrecords.map((f) => io.path(f));
  for (const f of [...(labelFile ? [labelFile] : []), ...records, ...(p.tune_labels ? [io.path(p.tune_labels)] : [])]) {
    if (!existsSync(f))
      throw new DataError(
        'no such file or folder to evaluate on',
        { file: f },
        { hint: 'fix the path, or run the stage that writes it first' },
      );
  }
  return { useRecords, labelFile, records };
}

/** Runs the model over a loader's batches, closing the loader; `which` names the pass in progress lines. */
type Infer = (
  which: string,
  labels: string | undefined,
  tfrecords: string[] | undefined,
  root: string | undefined,
) => ReturnType<typeof inferAll>;

function inferWith(
  p: EvaluateOptions,
  io: EvaluateIO,
  model: Parameters<typeof inferAll>[0],
  heads: HeadSpec[],
  input: Parameters<typeof loaderInputOptions>[0] & { height: number; width: number; channels?: number },
): Infer {
  return async (which, labels, tfrecords, root) => {
    const loader = await createLoader({
      labels,
      tfrecords,
      root,
      heads: heads.length,
      ...loaderInputOptions(input),
      batchSize: p.batch_size,
      shuffle: false,
      augment: false,
    });
    try {
      return await inferAll(model, heads, loader, {
        height: input.height,
        width: input.width,
        channels: input.channels ?? 3,
        signal: io.signal,
        progress: (done, total) => io.progress(`${which}: ${done}/${total} images`),
      });
    } finally {
      await loader.close();
    }
  };
}

/** Per binary head, the threshold that maximises its F1 on `tune_labels`; undefined without tune_labels. */
async function tunedThresholds(
  p: EvaluateOptions,
  io: EvaluateIO,
  heads: HeadSpec[],
  infer: Infer,
): Promise<number[] | undefined> {
  if (!p.tune_labels) return undefined;
  const val = await infer('tuning', io.path(p.tune_labels), undefined, undefined);
  const binary = heads.map((h, i) => ({ h, i })).filter(({ h }) => h.classes.length === 1);
  const thresholds = tuneThresholds(
    binary.map(({ i }) => val.probs[i]!),
    binary.map(({ i }) => labelColumn(val.labels, heads.length, i)),
  );
  io.log(
    `tuned thresholds on ${p.tune_labels}: ${binary.map(({ h }, b) => `${h.name}=${thresholds[b]!.toFixed(3)}`).join(', ') || 'no binary heads'}`,
  );
  return thresholds;
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
    const trainEngine = config.engine_used ?? config.engine;
    const { evaluation, files } = await writeReport(
      { ...data, heads },
      {
        out: io.out(p.out),
        title: basename(modelDir),
        meta: {
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
        },
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
    io.log(
      Object.entries(key)
        .map(([k, v]) => `${k} ${v === null ? '–' : Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join(' · '),
    );
    return { metrics: key, evaluation: evaluation.metrics, files, images: data.paths.length, backend: engine.backend };
  } finally {
    model.dispose();
  }
}

/**
 * The per-head table `mlc-pipe evaluate` prints: head, kind, labelled images, accuracy, macro F1
 * (a binary head's F1 of the positive class), AP (macro one-vs-rest for softmax), ROC AUC, ECE;
 * then the all-heads accuracy and, with binary heads, the multi-label mAP. `–` where undefined.
 */
export function formatHeadMetrics(m: Metrics): string {
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(4));
  const rows = Object.entries(m.heads).map(([name, h]) =>
    h.kind === 'softmax'
      ? [
          name,
          `softmax, ${h.classes.length} classes`,
          String(h.count),
          num(h.accuracy),
          num(h.count ? h.report['macro avg'].f1 : null),
          num(h.ovr.macroAP),
          num(h.ovr.macroAUC),
          num(h.calibration.ece),
        ]
      : [
          name,
          'binary',
          String(h.count),
          num(h.accuracy),
          num(h.report.classes[name]?.f1),
          num(h.ap),
          num(h.auc),
          num(h.calibration.ece),
        ],
  );
  const header = ['head', 'kind', 'images', 'accuracy', 'f1', 'ap', 'auc', 'ece'];
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 0 || c === 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  out.push(
    `all heads: ${num(m.allHeads.accuracy)} (${m.allHeads.correct}/${m.allHeads.count} images with every known head right)${m.multilabel ? `; mAP ${num(m.multilabel.mAP)} over ${m.multilabel.classes} binary heads` : ''}`,
  );
  return out.join('\n');
}
