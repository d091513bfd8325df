/**
 * The convert stage's body: export a model folder (./export-folder.ts) only when an evaluation of
 * exactly that model stands behind it (the evaluate stage's run.json records the model's weights
 * hash), check the ONNX model against the float32 tfjs model on real images of a labelled split and
 * model.onnx's `pixels` input against predict's path on those images saved at other sizes,
 * score the quantized tfjs copy against the float32 one on the same split, and write
 * MODEL_CARD.md + metadata.json with all of it (./model-card.ts). tf must have a backend.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { HeadSpec } from '../data/heads.ts';
import type { InputConfig } from '../model/io.ts';
import { exportModelFolder, type ExportMetadata, type ExportOptions, type ModelCardFacts } from './export-folder.ts';
import { writeModelCard } from './model-card.ts';

export interface ReleaseOptions extends ExportOptions {
  /** Absolute model folder. */
  modelDir: string;
  /** How the pipeline names it (card, messages). */
  modelName: string;
  /** Absolute export folder. */
  out: string;
  /** Absolute report folder of the evaluate stage run on this model; undefined = none. */
  evaluation?: string;
  /** How the pipeline names `evaluation`. Defaults to `evaluation`. */
  evaluationName?: string;
  /** Export even without an evaluation (the card then says so). Defaults to false. */
  allowUnevaluated?: boolean;
  /** Labelled split for the ONNX parity and quantization checks: absolute label file + image root, and its pipeline name. Defaults to the evaluation's data. */
  split?: { labels: string; root?: string; name: string };
  /** Run the ONNX parity check. Defaults to true. */
  verify?: boolean;
  /** Resolves a pipeline-relative path recorded in a report (the evaluation's label file). Defaults to identity. */
  resolve?: (path: string) => string;
  log?: (message: string) => void;
}

interface RunJson {
  meta: Record<string, string>;
  params?: { evaluate?: { labels?: string; root?: string; tfrecords?: string[] } };
}

/** The evaluation behind `modelDir`, checked against its weights hash. Throws when it is of another model. */
async function readEvaluation(
  options: ReleaseOptions,
  heads: HeadSpec[],
): Promise<{ facts: NonNullable<ModelCardFacts['evaluation']>; run: RunJson }> {
  const dir = options.evaluation!;
  const name = options.evaluationName ?? dir;
  const { modelFilesHash } = await import('../report/provenance.ts');
  let run: RunJson;
  let metrics: { summary?: Record<string, number | null>; samples?: number };
  try {
    run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunJson;
    metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
  } catch (err) {
    throw new ConfigError(`evaluation ${name}: not an evaluate report folder (${(err as Error).message})`, {
      cause: err,
      hint: 'point `evaluation` at the `out` of an evaluate stage run on this model',
    });
  }
  const want = await modelFilesHash(options.modelDir);
  const got = run.meta['model sha256'];
  if (got !== want) {
    throw new ConfigError(
      `evaluation ${name} is not of ${options.modelName}: it evaluated model sha256 ${got ?? '(not recorded)'}, ${options.modelName} is ${want}`,
      {
        hint: `evaluate ${options.modelName} itself (an evaluate stage with model: ${options.modelName}) and point \`evaluation\` at its report`,
      },
    );
  }
  const s = metrics.summary ?? {};
  return {
    run,
    facts: {
      report: name,
      data: run.meta.data ?? '',
      dataSha256: run.meta['data sha256'] ?? '',
      samples: metrics.samples ?? null,
      allHeads: s.all_heads_acc ?? null,
      heads: Object.fromEntries(heads.map((h) => [h.name, s[`acc/${h.name}`] ?? null])),
    },
  };
}

/** Real preprocessed batches of a split, for the parity check. */
async function splitBatches(
  heads: HeadSpec[],
  input: InputConfig,
  split: { labels: string; root?: string },
): Promise<Array<{ data: Float32Array; n: number }>> {
  const { splitLoader } = await import('../report/split-accuracy.ts');
  const loader = await splitLoader(heads, input, { labels: split.labels, root: split.root, batchSize: 32 });
  const out: Array<{ data: Float32Array; n: number }> = [];
  try {
    for await (const b of loader.epoch(0)) out.push({ data: Float32Array.from(b.images), n: b.size });
  } finally {
    await loader.close();
  }
  return out;
}

export interface Release {
  meta: ExportMetadata;
  warnings: string[];
}

type Evaluation = Awaited<ReturnType<typeof readEvaluation>>;
type Split = NonNullable<ReleaseOptions['split']>;
type TrainedConfig = Awaited<ReturnType<typeof import('../model/io.ts').loadTrainedModel>>['config'];

/** The evaluation behind the model; without one, refused unless `allowUnevaluated` (then a warning). */
async function requireEvaluation(
  options: ReleaseOptions,
  heads: HeadSpec[],
  warn: (w: string) => void,
): Promise<Evaluation | undefined> {
  if (options.evaluation) return readEvaluation(options, heads);
  if (!options.allowUnevaluated) {
    throw new ConfigError(
      `${options.modelName} has no evaluation behind it: convert exports only a model an evaluate stage has scored`,
      {
        hint: `add an evaluate stage with model: ${options.modelName} and set evaluation: <its out> on convert (or allow_unevaluated: true to export it anyway)`,
      },
    );
  }
  warn(
    `WARNING: exporting ${options.modelName} with no evaluation behind it (allow_unevaluated: true); its accuracy is unknown`,
  );
  return undefined;
}

/** The split for the checks: given, else the label file the evaluation used (when it still exists). */
function checkSplit(options: ReleaseOptions, evaluation: Evaluation | undefined): Split | undefined {
  if (options.split) return options.split;
  const resolve = options.resolve ?? ((p: string) => p);
  const evalParams = evaluation?.run.params?.evaluate;
  if (!evalParams?.labels || evalParams.tfrecords?.length) return undefined;
  const labels = resolve(evalParams.labels);
  return existsSync(labels)
    ? { labels, root: evalParams.root ? resolve(evalParams.root) : dirname(labels), name: evalParams.labels }
    : undefined;
}

/** The model card's facts from the model's config.json and its evaluation. */
function cardFacts(modelName: string, config: TrainedConfig, evaluation: Evaluation | undefined): ModelCardFacts {
  const card: ModelCardFacts = {
    source: modelName,
    run: {
      model: config.model,
      'epochs done': config.epochs_done,
      'epoch kept (best by monitor)': config.best_epoch ?? undefined,
      monitor: config.monitor,
      seed: config.seed,
      'train engine': config.engine_used ?? config.engine,
      // bf16 = mixed precision while training; the exported weights are float32 either way.
      ...(typeof config.precision_used === 'string'
        ? { 'train precision': `${config.precision_used} (weights exported as float32)` }
        : {}),
      ...(config.init_from ? { 'fine-tuned from': config.init_from } : {}),
    },
    ...(evaluation ? { evaluation: evaluation.facts } : {}),
  };
  const td = config.train_data as { data: string; images: number; sha256: string } | undefined;
  if (td)
    card.training = {
      data: td.data,
      images: td.images,
      sha256: td.sha256,
      ...(config.init_from ? { initFrom: String(config.init_from) } : {}),
    };
  if (config.pruning) card.pruning = config.pruning as ModelCardFacts['pruning'];
  return card;
}

/** The ONNX export against the float32 source model (on the split's images, else random input), and the pixels graph against predict. */
async function parityChecks(
  options: ReleaseOptions,
  meta: ExportMetadata,
  card: ModelCardFacts,
  heads: HeadSpec[],
  config: TrainedConfig,
  split: Split | undefined,
  warn: (w: string) => void,
): Promise<void> {
  const batches = split ? await splitBatches(heads, config.input, split) : undefined;
  if (meta.files.onnx && (options.verify ?? true)) {
    const { verifyOnnxExport } = await import('./verify.ts');
    // Compare against the float32 source model: the tfjs copy here may be quantized.
    const parity = await verifyOnnxExport(options.out, {
      images: batches,
      reference: options.modelDir,
      tolerance: 1e-4,
    });
    card.onnxParity = {
      input: parity.input,
      ...(split ? { split: split.name } : {}),
      images: parity.images,
      maxAbsDiff: parity.maxAbsDiff,
      argmaxMismatches: parity.argmaxMismatches,
    };
    if (!batches)
      warn(
        'ONNX parity checked on random input only: no labelled split (give val_labels, or an evaluation on a label file)',
      );
  }
  if (meta.pixels && (options.verify ?? true)) {
    const { checkPixelsParity } = await import('./pixels-parity.ts');
    const { loadLayersModel } = await import('../model/io.ts');
    const m = await loadLayersModel(options.modelDir);
    try {
      card.pixelsParity = await checkPixelsParity(options.out, meta, m, heads, { split });
    } finally {
      m.dispose();
    }
  }
}

/** Accuracy on the split of the float32 source and the quantized export. */
async function quantizationFacts(
  options: ReleaseOptions,
  heads: HeadSpec[],
  input: InputConfig,
  split: Split,
): Promise<ModelCardFacts['quantization']> {
  const { accuracyOnSplit } = await import('../report/split-accuracy.ts');
  const { loadLayersModel } = await import('../model/io.ts');
  const score = async (dir: string) => {
    const m = await loadLayersModel(dir);
    try {
      const { allHeads, heads: perHead } = await accuracyOnSplit(m, heads, input, {
        labels: split.labels,
        root: split.root,
      });
      return { allHeads, heads: perHead };
    } finally {
      m.dispose();
    }
  };
  return { split: split.name, float32: await score(options.modelDir), quantized: await score(options.out) };
}

/** Exports the model folder, checks the export and writes its model card; refused without an evaluation (see ReleaseOptions). */
export async function exportRelease(options: ReleaseOptions): Promise<Release> {
  const log = options.log ?? (() => {});
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log(w);
  };
  const { loadTrainedModel } = await import('../model/io.ts');
  const { config, heads, model } = await loadTrainedModel(options.modelDir);
  model.dispose();
  const evaluation = await requireEvaluation(options, heads, warn);
  const meta = await exportModelFolder(options.modelDir, options.out, options);
  const split = checkSplit(options, evaluation);
  const card = cardFacts(options.modelName, config, evaluation);
  await parityChecks(options, meta, card, heads, config, split, warn);
  if (meta.tfjs.quantization !== 'none' && split)
    card.quantization = await quantizationFacts(options, heads, config.input, split);
  meta.card = card;
  await writeModelCard(options.out, meta, basename(options.modelName));
  return { meta, warnings };
}
