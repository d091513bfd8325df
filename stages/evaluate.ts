/**
 * evaluate: runs a trained model over a labelled split and writes the run's report folder —
 * metrics.json (seed metrics, classification report, one-vs-rest AP/AUC, calibration,
 * multi-label family), run.json (header), confusion/PR/ROC/reliability PNGs per head,
 * curves.png, wrong.csv and a self-contained report.html. See src/report/.
 */
import { Type } from '@sinclair/typebox';
import { CONFUSION_NORMALIZE } from '../src/report/draw/confusion.ts';
import { defineStage } from '../src/stage/define.ts';
import { engineParam, modelStageCpus, resolveThreads, threadsParam, NUMERICS_ENVIRONMENT } from '../src/engine/names.ts';

const params = Type.Object(
  {
    model: Type.String({ description: 'Model folder written by train (model.json, classes.json, config.json, history.jsonl). Defaults to models/run.', default: 'models/run' }),
    labels: Type.String({ description: 'Label file of the split to evaluate; ignored when `tfrecords` is set. Defaults to data/demo/test.txt.', default: 'data/demo/test.txt' }),
    root: Type.String({ description: "Image root for relative paths in `labels`; empty = the label file's folder. Defaults to ''.", default: '' }),
    tfrecords: Type.Array(Type.String(), { description: 'TFRecord shards (or folders of shards) to evaluate instead of `labels` (no thumbnails then). Defaults to [].', default: [] }),
    tune_labels: Type.String({
      description: "Validation label file on which each binary head's threshold is tuned to maximise F1; the report then adds metrics at those thresholds. Empty = no tuning. Defaults to ''.",
      default: '',
    }),
    batch_size: Type.Integer({ minimum: 1, description: 'Images per inference batch. Defaults to 32.', default: 32 }),
    engine: engineParam(),
    threads: threadsParam(),
    base_confidence: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "The seed's confidence analysis: samples whose every known head has probability ≥ this count as confident, and their error rate is reported. Defaults to 0.9.",
      default: 0.9,
    }),
    top_k: Type.Integer({ minimum: 1, description: 'k of the top-k multi-label metrics (CP/CR/CF1/OP/OR/OF1 over the k best classes per image). Defaults to 3.', default: 3 }),
    worst: Type.Integer({ minimum: 0, description: 'How many of the most confident mistakes the report shows as thumbnails. Defaults to 24.', default: 24 }),
    confusion_normalize: Type.Union(CONFUSION_NORMALIZE.map((v) => Type.Literal(v)), {
      description: "What the confusion drawings' percentages are relative to, as sklearn's `normalize`: `true` = the row (true class; recall on the diagonal), `pred` = the column (precision on the diagonal), `all` = every sample. Defaults to true.",
      default: 'true',
    }),
    calibration_bins: Type.Integer({ minimum: 1, maximum: 100, description: 'Equal-width confidence bins of the expected calibration error and the reliability diagrams. Defaults to 15.', default: 15 }),
    compare_to: Type.String({
      description: "Report folder of another evaluated run (e.g. the unpruned model's) shown side by side: key metrics and per-class F1 with the change. Empty = none. Defaults to ''.",
      default: '',
    }),
    out: Type.String({ description: 'Report folder. Defaults to reports/run.', default: 'reports/run' }),
  },
  { additionalProperties: false },
);

export default defineStage({
  name: 'evaluate',
  version: '1',
  description: 'Evaluate a trained model: metrics.json (classification report, AP/AUC, calibration), confusion/PR/ROC/reliability/curve PNGs, wrong.csv and an HTML report',
  params,
  inputs: (p) => [
    p.model,
    ...(p.tfrecords.length ? p.tfrecords : [p.labels]),
    ...(p.root && !p.tfrecords.length ? [p.root] : []),
    ...(p.tune_labels ? [p.tune_labels] : []),
    ...(p.compare_to ? [p.compare_to] : []),
  ],
  outputs: (p) => [p.out],
  resources: (p) => ({ cpu: modelStageCpus(p.threads) }),
  environment: NUMERICS_ENVIRONMENT,
  async run(ctx) {
    const p = ctx.params;
    const { basename, dirname, join } = await import('node:path');
    const { initEngine } = await import('../src/engine/index.ts');
    const { loadTrainedModel, loaderInputOptions } = await import('../src/model/io.ts');
    const { createLoader } = await import('../src/data/loader/create-loader.ts');
    const { inferAll } = await import('../src/predict/loader-inference.ts');
    const { writeReport } = await import('../src/report/write.ts');
    const { tuneThresholds } = await import('../src/report/metrics/multilabel.ts');
    const { labelColumn } = await import('../src/report/metrics/categorical.ts');
    const { keyMetrics } = await import('../src/report/metrics/evaluate.ts');
    const { codeVersion, filesHash, modelFilesHash } = await import('../src/report/provenance.ts');
    const { fromPackageRoot } = await import('../src/stage/package-root.ts');
    const { readdir, stat } = await import('node:fs/promises');

    const engine = await initEngine({ engine: p.engine, threads: resolveThreads(p.threads, ctx.cpus), log: (m) => ctx.log(m) });
    const modelDir = ctx.path(p.model);
    const { existsSync } = await import('node:fs');
    if (!existsSync(join(modelDir, 'model.json'))) {
      const { DataError } = await import('../src/errors.ts');
      throw new DataError(`no trained model here (model.json missing)`, { file: modelDir }, { hint: 'run the train stage first, or point `model` at a folder train wrote' });
    }
    const { model, heads, config } = await loadTrainedModel(modelDir);
    const input = config.input;
    const channels = input.channels ?? 3;
    const loaderFor = (labels: string | undefined, tfrecords: string[] | undefined, root: string | undefined) =>
      createLoader({
        labels,
        tfrecords,
        root,
        heads: heads.length,
        ...loaderInputOptions(input),
        batchSize: p.batch_size,
        shuffle: false,
        augment: false,
      });
    const infer = async (which: string, loader: Awaited<ReturnType<typeof createLoader>>) => {
      try {
        return await inferAll(model, heads, loader, {
          height: input.height,
          width: input.width,
          channels,
          signal: ctx.signal,
          progress: (done, total) => ctx.progress(`${which}: ${done}/${total} images`),
        });
      } finally {
        await loader.close();
      }
    };
    try {
      let thresholds: number[] | undefined;
      if (p.tune_labels) {
        const val = await infer('tuning', await loaderFor(ctx.path(p.tune_labels), undefined, undefined));
        const binary = heads.map((h, i) => ({ h, i })).filter(({ h }) => h.classes.length === 1);
        thresholds = tuneThresholds(binary.map(({ i }) => val.probs[i]!), binary.map(({ i }) => labelColumn(val.labels, heads.length, i)));
        ctx.log(`tuned thresholds on ${p.tune_labels}: ${binary.map(({ h }, b) => `${h.name}=${thresholds![b]!.toFixed(3)}`).join(', ') || 'no binary heads'}`);
      }
      const useRecords = p.tfrecords.length > 0;
      const labelFile = useRecords ? undefined : ctx.path(p.labels);
      const root = useRecords ? undefined : p.root ? ctx.path(p.root) : dirname(labelFile!);
      const data = await infer('evaluate', await loaderFor(labelFile, useRecords ? p.tfrecords.map((f) => ctx.path(f)) : undefined, root));
      ctx.log(`predicted ${data.paths.length} images with ${engine.backend}`);
      // The data hash covers what was evaluated: the label file and every image it lists, or the TFRecord shards.
      const shardFiles = async (f: string): Promise<string[]> => {
        const abs = ctx.path(f);
        if (!(await stat(abs)).isDirectory()) return [abs];
        return (await readdir(abs, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
      };
      const hashed = useRecords ? (await Promise.all(p.tfrecords.map(shardFiles))).flat() : [labelFile!, ...data.paths.map((f) => (f.startsWith('/') ? f : join(root!, f)))];
      const trainedAt = await stat(join(modelDir, 'config.json')).then((s) => s.mtime.toISOString(), () => 'unknown');
      const { input: _input, ...trainParams } = config;
      const { evaluation, files } = await writeReport({ ...data, heads }, {
        out: ctx.out(p.out),
        title: basename(modelDir),
        meta: {
          model: p.model,
          // convert checks this to know the export has an evaluation behind it
          'model sha256': await modelFilesHash(modelDir),
          data: useRecords ? p.tfrecords.join(', ') : p.labels,
          'data sha256': (await filesHash(hashed)).slice(0, 16),
          engine: `${engine.backend} (evaluate)${typeof (config.engine_used ?? config.engine) === 'string' ? `, ${String(config.engine_used ?? config.engine)} (train)` : ''}`,
          code: await codeVersion(fromPackageRoot()),
          trained: trainedAt,
          evaluated: new Date().toISOString(),
        },
        params: { train: trainParams, evaluate: { ...p } },
        confusionNormalize: p.confusion_normalize,
        calibrationBins: p.calibration_bins,
        compareTo: p.compare_to ? ctx.path(p.compare_to) : undefined,
        imageRoot: useRecords ? null : root, // TFRecords hold the pixels, not files to thumbnail
        history: join(modelDir, 'history.jsonl'),
        baseConfidence: p.base_confidence,
        topK: p.top_k,
        thresholds,
        worst: p.worst,
        log: (m) => ctx.log(m),
      });
      const key = keyMetrics(evaluation.metrics);
      ctx.log(`wrote ${files.join(', ')} to ${p.out}`);
      ctx.log(Object.entries(key).map(([k, v]) => `${k} ${v === null ? '–' : Number.isInteger(v) ? v : v.toFixed(4)}`).join(' · '));
      return { metrics: key };
    } finally {
      model.dispose();
    }
  },
});
