/**
 * The shipping chain on a tiny model, through the stage modules: train → evaluate → prune (scored on
 * the validation split) → fine-tune (train with init_from) → evaluate (next to the unpruned report)
 * → convert (ONNX + uint16 tfjs, with the evaluation behind it). The exported ONNX model must give
 * the fine-tuned model's predictions on every validation image, the quantized tfjs copy must load
 * with plain tf.loadLayersModel and predict within tolerance, and the model card must carry the facts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import trainStage from '../../stages/train.ts';
import evaluateStage from '../../stages/evaluate.ts';
import pruneStage from '../../stages/prune.ts';
import convertStage from '../../stages/convert.ts';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { initEngine, tf } from '../../src/engine/index.ts';
import { loadTrainedModel } from '../../src/model/io.ts';
import { splitLoader } from '../../src/report/split-accuracy.ts';
import { stageContext } from './data-context.ts';

let dir: string;
beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'mlc-release-'));
  await makeDemoDataset('plates', { out: join(dir, 'data'), n: 40, seed: 2, valFraction: 0.25 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = {
  train_labels: 'data/train.txt',
  val_labels: 'data/val.txt',
  classes: 'data/classes.json',
  width_multiplier: 1 / 16,
  height: 16,
  width: 48,
  batch_size: 8,
  engine: 'cpu',
  l1_gamma: 1e-4,
};

/** The validation images as the model sees them, and the model's probabilities per head. */
async function valImages(model: string): Promise<{ x: Float32Array; n: number; probs: Float32Array[] }> {
  const { model: m, heads, config } = await loadTrainedModel(join(dir, model));
  const loader = await splitLoader(heads, config.input, { labels: join(dir, 'data/val.txt'), batchSize: 64 });
  try {
    const batches = [];
    for await (const b of loader.epoch(0)) batches.push(b);
    expect(batches).toHaveLength(1);
    const b = batches[0]!;
    const probs = tf.tidy(() => {
      const outs = m.predict(tf.tensor4d(b.images, [b.size, 16, 48, 3])) as tf.Tensor[];
      return outs.map(
        (t, i) => (heads[i]!.classes.length === 1 ? tf.sigmoid(t) : tf.softmax(t)).dataSync() as Float32Array,
      );
    });
    return { x: Float32Array.from(b.images), n: b.size, probs };
  } finally {
    m.dispose();
    await loader.close();
  }
}

describe('train → evaluate → prune → fine-tune → evaluate → convert', () => {
  it('exports only what was evaluated, and the export predicts what the fine-tuned model predicts', async () => {
    await trainStage.run(stageContext(trainStage, dir, { ...tiny, epochs: 2, out: 'models/base' }));
    await evaluateStage.run(
      stageContext(evaluateStage, dir, {
        model: 'models/base',
        labels: 'data/val.txt',
        engine: 'cpu',
        out: 'reports/base',
      }),
    );

    const prune = stageContext(pruneStage, dir, {
      model: 'models/base',
      ratio: 0.3,
      min_channels: 1,
      val_labels: 'data/val.txt',
      latency_runs: 3,
      out: 'models/pruned',
    });
    const pruneRes = await pruneStage.run(prune);
    const report = JSON.parse(await readFile(join(dir, 'models/pruned/prune.json'), 'utf8'));
    expect(report.flops.after).toBeLessThan(report.flops.before);
    expect(pruneRes?.metrics?.latency_ms_before as number).toBeGreaterThan(0);
    expect(report.measured.latencyMs).toBeUndefined(); // a timing: in the stage's metrics, not the hashed folder
    expect(report.measured.accuracy.before.samples).toBe(10);
    expect(Object.keys(report.measured.accuracy.after.heads)).toEqual([
      'digit0',
      'digit1',
      'digit2',
      'digit3',
      'inverted',
    ]);
    expect(pruneRes?.metrics?.val_all_heads_acc_after).toBe(report.measured.accuracy.after.allHeads);
    expect(
      prune.logs.some((l) => l.startsWith('accuracy on data/val.txt (10 images, before fine-tuning): all heads')),
    ).toBe(true);

    await trainStage.run(
      stageContext(trainStage, dir, { ...tiny, epochs: 1, init_from: 'models/pruned', out: 'models/ft' }),
    );
    const ftConfig = JSON.parse(await readFile(join(dir, 'models/ft/config.json'), 'utf8'));
    const ftTrainCount = (await readFile(join(dir, 'data/train.txt'), 'utf8')).trim().split('\n').length;
    expect(ftConfig.pruning).toMatchObject({
      from: 'models/base',
      ratio: 0.3,
      params: report.params,
      flops: report.flops,
      threshold: report.threshold,
    });
    expect(ftConfig.pruning.layers).toEqual(
      report.layers.map((l: { layer: string; kept: number; total: number }) => ({
        layer: l.layer,
        kept: l.kept,
        total: l.total,
      })),
    );
    // the |γ| histogram covers every channel of the prunable layers, and the threshold lies within it
    expect(ftConfig.pruning.gamma.counts.reduce((a: number, b: number) => a + b, 0)).toBe(report.channels.before);
    expect(report.threshold).toBeLessThanOrEqual(ftConfig.pruning.gamma.max);
    expect(ftConfig.train_data).toMatchObject({ data: 'data/train.txt', images: ftTrainCount });
    await evaluateStage.run(
      stageContext(evaluateStage, dir, {
        model: 'models/ft',
        labels: 'data/val.txt',
        engine: 'cpu',
        compare_to: 'reports/base',
        out: 'reports/ft',
      }),
    );

    // an evaluation of another model is refused
    await expect(
      convertStage.run(
        stageContext(convertStage, dir, { model: 'models/ft', evaluation: 'reports/base', out: 'exports/bad' }),
      ),
    ).rejects.toThrow(
      /^evaluation reports\/base is not of models\/ft: it evaluated model sha256 [0-9a-f]{16}, models\/ft is [0-9a-f]{16}$/,
    );

    const convert = stageContext(convertStage, dir, {
      model: 'models/ft',
      evaluation: 'reports/ft',
      quantize: 'uint16',
      out: 'exports/ft',
    });
    const res = await convertStage.run(convert);
    expect(res?.metrics?.onnx_parity_images).toBe(10);
    expect(res?.metrics?.onnx_max_abs_diff as number).toBeLessThanOrEqual(1e-4);

    // Independently: ONNX on the validation images vs the fine-tuned model folder.
    const ref = await valImages('models/ft');
    const meta = JSON.parse(await readFile(join(dir, 'exports/ft/metadata.json'), 'utf8'));
    expect(meta.files).toMatchObject({ onnx: 'model.onnx', onnxFloat: 'model_float.onnx' });
    expect(res?.metrics?.pixels_down_agreement).toBe(1);
    expect(res?.metrics?.pixels_up_agreement).toBe(1);
    const session = await ort.InferenceSession.create(join(dir, 'exports/ft', meta.files.onnxFloat));
    try {
      const outs = await session.run({ [meta.input.name]: new ort.Tensor('float32', ref.x, [ref.n, 16, 48, 3]) });
      meta.outputs.forEach((o: { name: string }, i: number) => {
        const got = outs[o.name]!.data as Float32Array;
        expect(got.length).toBe(ref.probs[i]!.length);
        got.forEach((v, j) => expect(Math.abs(v - ref.probs[i]![j]!)).toBeLessThanOrEqual(1e-4));
      });
    } finally {
      await session.release();
    }

    // The uint16 tfjs copy: manifest quantization fields, loaded by tf.loadLayersModel as is.
    const json = JSON.parse(await readFile(join(dir, 'exports/ft/model.json'), 'utf8'));
    const entries = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights) as Array<{
      shape: number[];
      quantization?: { dtype: string };
    }>;
    expect(entries.filter((w) => w.shape.length >= 2).every((w) => w.quantization?.dtype === 'uint16')).toBe(true);
    const bin = await readFile(join(dir, 'exports/ft/weights.bin'));
    const q = await tf.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: entries as never,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    });
    try {
      const probs = tf.tidy(() =>
        (q.predict(tf.tensor4d(ref.x, [ref.n, 16, 48, 3])) as tf.Tensor[]).map(
          (t) => (t.shape[1] === 1 ? tf.sigmoid(t) : tf.softmax(t)).dataSync() as Float32Array,
        ),
      );
      let m = 0;
      probs.forEach((p, i) => p.forEach((v, j) => (m = Math.max(m, Math.abs(v - ref.probs[i]![j]!)))));
      expect(m).toBeGreaterThan(0); // it is quantized…
      expect(m).toBeLessThan(1e-2); // …and close
    } finally {
      q.dispose();
    }
    expect(meta.tfjs.weightBytes.written).toBeLessThan(0.6 * meta.tfjs.weightBytes.float32);

    const card = await readFile(join(dir, 'exports/ft/MODEL_CARD.md'), 'utf8');
    const ftMetrics = JSON.parse(await readFile(join(dir, 'reports/ft/metrics.json'), 'utf8'));
    expect(card).toContain(`| all heads right | ${(100 * ftMetrics.summary.all_heads_acc).toFixed(1)} % |`);
    expect(card).toContain(`| digit0 | ${(100 * ftMetrics.summary['acc/digit0']).toFixed(1)} % |`);
    expect(card).toContain(`- data/train.txt: ${ftTrainCount} images, sha256 ${ftConfig.train_data.sha256}`);
    expect(card).toContain('- pruned (network slimming, ratio 0.3) from `models/base`');
    expect(card).toContain('- quantization: uint16 kernels in the tfjs weights manifest');
    expect(card).toMatch(/Quantized vs float32 tfjs on `data\/val.txt`:/);
    expect(card).toContain('ONNX vs tfjs on 10 real images of `data/val.txt`');
    expect(card).toContain('- fine-tuned from: models/pruned');
    expect(card).toContain('1. resize to exactly 16×48');
  }, 300_000); // a whole chain; convert also checks model.onnx on 40 resized files
});
