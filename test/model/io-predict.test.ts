import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { loadTrainedModel, saveTrainedModel } from '../../src/model/io.ts';
import { predictProbs } from '../../src/model/probabilities.ts';
import { preprocessingRecord } from '../../src/data/image/preprocessing.ts';
import { l2Penalty, regularizedVariables } from '../../src/model/regularization.ts';

const heads: HeadSpec[] = [
  { name: 'color', classes: ['r', 'g', 'b'] },
  { name: 'flag', classes: ['flag'] },
];
const input = { height: 12, width: 20, channels: 3 as const, channelOrder: 'rgb' as const, whiten: true };
let dir: string;
beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'mlc-model-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saveTrainedModel / loadTrainedModel', () => {
  for (const name of ['resnext18', 'mixnet18', 'mobilenet-v2']) {
    it(`${name} round-trips (custom layers registered) with identical predictions`, async () => {
      const m = buildModel(name, { inputShape: [12, 20, 3], heads, width: 1 / 8, seed: 2 });
      const out = join(dir, name);
      await saveTrainedModel(out, { model: m, heads, config: { input, lr: 0.1 } });
      const loaded = await loadTrainedModel(out);
      const x = tf.randomNormal([3, 12, 20, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      try {
        expect(loaded.heads).toEqual(heads);
        // a config.json without the preprocessing record (written before it) reads with the documented legacy defaults
        expect(loaded.config).toEqual({
          input: { ...input, resize: 'bilinear' },
          lr: 0.1,
          preprocessing: preprocessingRecord(input),
        });
        const a = predictProbs(m, heads, x);
        const b = predictProbs(loaded.model, loaded.heads, x);
        a.forEach((p, i) => expect(Array.from(b[i]!)).toEqual(Array.from(p)));
      } finally {
        x.dispose();
        m.dispose();
        loaded.model.dispose();
      }
    });
  }
  it('the preprocessing record is the source of `input`, and a bad record is a DataError naming config.json', async () => {
    const m = buildModel('resnet18', { inputShape: [12, 20, 1], heads, width: 1 / 8, seed: 2 });
    const out = join(dir, 'record');
    const pre = preprocessingRecord({ ...input, channels: 1, whiten: false, resize: 'area' });
    await saveTrainedModel(out, { model: m, heads, config: { input: { ...input, height: 99 }, preprocessing: pre } });
    m.dispose();
    const loaded = await loadTrainedModel(out);
    loaded.model.dispose();
    expect(loaded.config.input).toEqual({
      height: 12,
      width: 20,
      channels: 1,
      channelOrder: 'rgb',
      whiten: false,
      resize: 'area',
    });
    expect(loaded.config.preprocessing).toMatchObject({
      channels: 'L',
      normalize: { kind: 'none' },
      resize: { kernel: 'area', antialias: false },
    });
    await writeFile(
      join(out, 'config.json'),
      JSON.stringify({ input, preprocessing: { ...pre, resize: { ...pre.resize, kernel: 'lanczos3' } } }),
    );
    await expect(loadTrainedModel(out)).rejects.toThrow(
      `${join(out, 'config.json')}: preprocessing.resize.kernel must be one of bilinear, bilinear_no_antialias, nearest, area, received "lanczos3"`,
    );
  });

  it('a folder without model.json is a DataError naming the file', async () => {
    const out = join(dir, 'empty');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'classes.json'), JSON.stringify({ heads }));
    await writeFile(join(out, 'config.json'), JSON.stringify({ input }));
    await expect(loadTrainedModel(out)).rejects.toThrow(`${join(out, 'model.json')}: cannot read model: ENOENT`);
  });
});

describe('predictProbs', () => {
  it('applies softmax to K-class heads and sigmoid to binary heads (vs plain JS on the logits)', () => {
    const m = buildModel('resnet18', { inputShape: [12, 20, 3], heads, width: 1 / 8, seed: 2 });
    const x = tf.randomNormal([2, 12, 20, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const logits = (m.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
    const probs = predictProbs(m, heads, x);
    logits[0]!.forEach((row, i) => {
      const e = row.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => expect(probs[0]![i * 3 + k]).toBeCloseTo(v / s, 5));
    });
    logits[1]!.forEach((row, i) => expect(probs[1]![i]).toBeCloseTo(1 / (1 + Math.exp(-row[0]!)), 5));
    x.dispose();
    m.dispose();
  });
});

describe('split L2', () => {
  it('l2_conv reaches only conv kernels and l2_gamma only BN gammas', () => {
    const m = buildModel('resnext18', { inputShape: [12, 20, 3], heads, width: 1 / 8, seed: 2 });
    const reg = regularizedVariables(m);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const gradOf = (l2: { l2Conv: number; l2Gamma: number }) => tf.variableGrads(() => l2Penalty(reg, l2), vars);
    for (const [opt, kind] of [
      [{ l2Conv: 0.3, l2Gamma: 0 }, 'conv'],
      [{ l2Conv: 0, l2Gamma: 0.7 }, 'gamma'],
    ] as const) {
      const { value, grads } = gradOf(opt);
      let expected = 0;
      m.trainableWeights.forEach((w, i) => {
        const layer = w.originalName.split('/')[0]!;
        const cls = m.getLayer(layer).getClassName();
        const isConv = ['Conv2D', 'DepthwiseConv2D', 'MixedConv2D'].includes(cls);
        const isGamma = cls === 'BatchNormalization' && w.originalName.endsWith('/gamma');
        const hit = kind === 'conv' ? isConv : isGamma;
        const wv = w.read().dataSync();
        const g = grads[vars[i]!.name];
        const lam = kind === 'conv' ? opt.l2Conv : opt.l2Gamma;
        if (hit) {
          // d/dw λ·Σw² = 2λw
          const gv = g!.dataSync();
          wv.forEach((v, j) => expect(gv[j]).toBeCloseTo(2 * lam * v, 5));
          expected += lam * Array.from(wv as Float32Array).reduce((s, v) => s + v * v, 0);
        } else if (g) {
          expect(Math.max(...Array.from(g.dataSync(), Math.abs))).toBe(0);
        }
      });
      expect(value.dataSync()[0]).toBeCloseTo(expected, 3);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(reg.convKernels.some((v) => v.originalName.includes('mixconv'))).toBe(true);
    expect(reg.bnGammas.length).toBe(m.layers.filter((l) => l.getClassName() === 'BatchNormalization').length);
    m.dispose();
  });
});
