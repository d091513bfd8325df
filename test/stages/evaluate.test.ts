import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import evaluate from '../../stages/evaluate.ts';
import { initEngine } from '../../src/engine/index.ts';
import { tf } from '../../src/engine/tf.ts';
import { evaluatePredictions } from '../../src/report/metrics/evaluate.ts';
import { Value } from '@sinclair/typebox/value';
import { PreflightError } from '../../src/errors.ts';
import { HEADS, SAMPLES, expectedProbs, writeDataset, writeModel } from '../report/fixture.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-eval-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'models', 'tiny'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(params: Record<string, unknown>) {
  const logs: string[] = [];
  const p = Value.Default(evaluate.params, structuredClone(params)) as never;
  return {
    logs,
    ctx: {
      id: 'evaluate',
      params: p,
      cwd: dir,
      out: (declared: string) => join(dir, '.tmp', declared),
      path: (rel: string) => resolve(dir, rel),
      log: (m: string) => logs.push(m),
      progress: () => {},
      signal: new AbortController().signal,
    },
  };
}

describe('evaluate stage end to end (tiny hand-weighted model, cpu engine)', () => {
  it('declares params with defaults, inputs and outputs', () => {
    const p = Value.Default(evaluate.params, {}) as Record<string, unknown>;
    expect(p).toMatchObject({
      model: 'models/run',
      base_confidence: 0.9,
      top_k: 3,
      out: 'reports/run',
      engine: 'auto',
    });
    expect(evaluate.inputs({ ...p, tune_labels: 'data/val.txt' } as never)).toEqual([
      'models/run',
      'data/clean/test/clean.txt',
      'data/val.txt',
    ]);
    expect(evaluate.outputs(p as never)).toEqual(['reports/run']);
  });

  it('writes the report folder with metrics matching an independent computation', async () => {
    const before = tf.memory().numTensors;
    const { ctx, logs } = context({
      model: 'models/tiny',
      labels: 'data/test.txt',
      out: 'reports/tiny',
      engine: 'cpu',
      batch_size: 3,
      tune_labels: 'data/test.txt',
    });
    const result = await evaluate.run(ctx as never);
    expect(tf.memory().numTensors).toBe(before);

    const out = join(dir, '.tmp', 'reports/tiny');
    expect((await readdir(out)).sort()).toEqual(
      [
        'calibration_bright',
        'calibration_color',
        'confusion_color',
        'curves',
        'pr_bright',
        'pr_color',
        'roc_bright',
        'roc_color',
      ]
        .map((f) => `${f}.png`)
        .concat(['curves.json', 'metrics.json', 'report.html', 'run.json', 'wrong.csv'])
        .sort(),
    );
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));

    // by hand: color preds r,g,b,r,b,r vs labels r,g,b,r,g,g → 4/6; bright all right (7 known);
    // all heads: 5 of 7 (4 and 5 wrong); confident (≥ .9 on every known head): 0,1,2,5 → 1 wrong
    expect(metrics.heads.color).toMatchObject({ correct: 4, count: 6 });
    expect(metrics.heads.bright).toMatchObject({ correct: 7, count: 7, ap: 1, positives: 3 });
    expect(metrics.allHeads).toEqual({ correct: 5, count: 7, accuracy: 5 / 7 });
    expect(metrics.confidence).toMatchObject({ count: 4, wrong: 1, errorRate: 0.25 });
    expect(metrics.confidentWrong.map((w: { path: string }) => w.path)).toEqual(['images/s5.png']);
    expect(metrics.heads.color.confusion).toEqual([
      [2, 0, 0],
      [1, 1, 1],
      [0, 0, 1],
    ]);
    // tuned on the same file: the best-F1 cut is sample 6's probability σ(10·384/255 − 15)
    expect(metrics.multilabel.tuned.thresholds.bright).toBeCloseTo(1 / (1 + Math.exp(-((10 * 384) / 255 - 15))), 5);

    // every number equals the metrics of the hand-computed probabilities
    const labels = Int32Array.from(SAMPLES.flatMap(([, c, b]) => [c, b]));
    const indep = evaluatePredictions({
      heads: HEADS,
      probs: expectedProbs(),
      labels,
      paths: SAMPLES.map((_, i) => `images/s${i}.png`),
    });
    expect(metrics.multilabel.mAP).toBeCloseTo(indep.metrics.multilabel!.mAP!, 6);
    expect(metrics.summary).toEqual(
      expect.objectContaining({
        all_heads_acc: 5 / 7,
        'acc/color': 4 / 6,
        confident_count: 4,
        confident_error_rate: 0.25,
      }),
    );
    expect(result?.metrics).toEqual(metrics.summary);
    expect(logs.some((l) => l.startsWith('predicted 8 images with cpu'))).toBe(true);
    for (const h of ['color', 'bright']) {
      expect(metrics.heads[h].calibration.ece).toBeCloseTo(indep.metrics.heads[h]!.calibration.ece!, 6);
      expect(metrics.heads[h].report).toEqual(indep.metrics.heads[h]!.report);
    }
    expect(metrics.heads.color.ovr.macroAUC).toBeCloseTo(
      (indep.metrics.heads.color as { ovr: { macroAUC: number } }).ovr.macroAUC,
      6,
    );

    // header: params of both stages, data hash over the label file and its images, engine, code (no timestamps: run.json is a hashed output)
    const header = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    expect(Object.keys(header.meta)).toEqual([
      'model',
      'model sha256',
      'data',
      'data sha256',
      'engine',
      'precision',
      'code',
    ]);
    // precision auto on the cpu engine: fp32; the tiny model's config.json records no train precision
    expect(header.meta.precision).toBe('fp32 (evaluate)');
    // the evaluated model's weights hash (what convert checks): model.json and weights.bin by name
    const { createHash } = await import('node:crypto');
    const h = createHash('sha256');
    for (const f of ['model.json', 'weights.bin'])
      h.update(`${f}\0`).update(await readFile(join(dir, 'models/tiny', f)));
    expect(header.meta['model sha256']).toBe(h.digest('hex').slice(0, 16));
    expect(header.meta['data sha256']).toMatch(/^[0-9a-f]{16}$/);
    expect(header.meta.code).toMatch(/^mlc-pipe \d+\.\d+\.\d+/);
    expect(header.params.evaluate).toMatchObject({
      model: 'models/tiny',
      confusion_normalize: 'true',
      calibration_bins: 15,
    });

    const png = await sharp(join(out, 'confusion_color.png')).metadata();
    expect([png.format, png.width]).toEqual(['png', 560]);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('images/s5.png');
    expect(html).toContain('data:image/jpeg;base64,');
    const csv = (await readFile(join(out, 'wrong.csv'), 'utf8')).trim().split('\n');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['images/s5.png', 'images/s4.png']);
  });

  it('evaluates TFRecord shards to the same metrics (no thumbnails then)', async () => {
    const { writeTfRecordShards } = await import('../../src/data/tfrecord/writer.ts');
    const items = SAMPLES.map(([, c, b], i) => ({
      path: join(dir, 'data', 'images', `s${i}.png`),
      filename: `images/s${i}.png`,
      labels: [c, b],
    }));
    const { files } = await writeTfRecordShards(items, { outDir: join(dir, 'records'), split: 'test', shardSize: 3 });
    expect(files).toHaveLength(3);
    const { ctx } = context({
      model: 'models/tiny',
      tfrecords: files.map((f) => f.slice(dir.length + 1)),
      out: 'reports/rec',
      engine: 'cpu',
    });
    expect(evaluate.inputs(ctx.params)).toEqual([
      'models/tiny',
      'records/test-00000-of-00003.tfrecord',
      'records/test-00001-of-00003.tfrecord',
      'records/test-00002-of-00003.tfrecord',
    ]);
    await evaluate.run(ctx as never);
    const out = join(dir, '.tmp', 'reports/rec');
    const rec = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    const txt = JSON.parse(await readFile(join(dir, '.tmp', 'reports/tiny', 'metrics.json'), 'utf8'));
    expect(rec.heads.color).toEqual(txt.heads.color);
    expect(rec.allHeads).toEqual(txt.allHeads);
    expect(rec.confidentWrong.map((w: { path: string }) => w.path)).toEqual(['images/s5.png']);
    expect(await readFile(join(out, 'report.html'), 'utf8')).not.toContain('data:image/jpeg');
  });

  it('pre-flight: refuses an empty label file (exit 2); warns of classes the train split never had, on the log and in the report', async () => {
    await writeFile(join(dir, 'data/empty.txt'), '');
    const empty = context({ model: 'models/tiny', labels: 'data/empty.txt', engine: 'cpu' });
    const err = await evaluate.run(empty.ctx as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).exitCode).toBe(2);
    expect((err as Error).message).toBe('data/empty.txt:1: the evaluated label file has no images');

    await writeModel(join(dir, 'models', 'warn'));
    const config = JSON.parse(await readFile(join(dir, 'models/warn/config.json'), 'utf8'));
    await writeFile(
      join(dir, 'models/warn/config.json'),
      JSON.stringify({ ...config, train_data: { data: 'data/train-rg.txt', images: 2 } }),
    );
    await writeFile(join(dir, 'data/train-rg.txt'), 'images/s0.png 0 0\nimages/s1.png 1 1\n'); // no blue
    const { ctx, logs } = context({
      model: 'models/warn',
      labels: 'data/test.txt',
      out: 'reports/warn',
      engine: 'cpu',
    });
    await evaluate.run(ctx as never);
    const warnings = [
      ...['red', 'green', 'blue'].map(
        (c, k) =>
          `data/train-rg.txt: head color: class "${c}" has only ${k < 2 ? 1 : 0} train image${k < 2 ? '' : 's'} (fewer than 5); its metrics will be noisy`,
      ),
      ...['not bright', 'bright'].map(
        (c) =>
          `data/train-rg.txt: head bright: class "${c}" has only 1 train image (fewer than 5); its metrics will be noisy`,
      ),
      'data/test.txt:3: head color: class "blue" appears 1 time in evaluated but never in train (data/train-rg.txt); the model cannot have learnt it',
    ];
    for (const w of warnings) expect(logs).toContain(`warning: ${w}`);
    const run = JSON.parse(await readFile(join(dir, '.tmp/reports/warn/run.json'), 'utf8'));
    expect(run.meta['data warnings']).toBe(warnings.join(' | '));
    expect(await readFile(join(dir, '.tmp/reports/warn/report.html'), 'utf8')).toContain('data warnings');
  });

  it('fails with a clear error when the model folder is missing', async () => {
    const { ctx } = context({ model: 'models/none', labels: 'data/test.txt', engine: 'cpu' });
    await expect(evaluate.run(ctx as never)).rejects.toThrow(
      `${join(dir, 'models/none')}: no trained model here (model.json missing)`,
    );
  });
});
