/**
 * The fine-tuning recipe: `freeze_epochs` trains only the heads (backbone weights and BN moving
 * statistics untouched, BN normalising with its moving statistics), then everything;
 * `backbone_lr_mult` scales the step of backbone variables only, in the fused optimizers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { LrSchedule } from '../../src/train/schedules/index.ts';
import { backboneLrMultiplier, setBackboneFrozen } from '../../src/train/freeze.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';
import { memoryLoader } from './fixtures.ts';

const heads: HeadSpec[] = [
  { name: 'color', classes: ['r', 'g', 'b'] },
  { name: 'flag', classes: ['flag'] },
];
const shape: [number, number, number] = [16, 16, 3];

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const snapshot = (m: tf.LayersModel) =>
  new Map(m.layers.map((l) => [l.name, l.getWeights().map((w) => Array.from(w.dataSync()))]));
const changed = (a: number[][], b: number[][]) => a.some((w, i) => w.some((v, j) => v !== b[i]![j]));

describe('freeze_epochs', () => {
  it('epoch 1 moves only the heads (BN moving statistics too stay); epoch 2 moves the backbone', async () => {
    const model = buildModel('tv-mobilenet-v2', { inputShape: shape, heads, width: 0.25, seed: 3 });
    randomizeBatchNorm(model, 1);
    const data = memoryLoader({ n: 8, h: 16, w: 16, c: 3, heads: [3, 1], batchSize: 4 });
    const snaps: Array<Map<string, number[][]>> = [snapshot(model)];
    let current = model;
    const result = await trainLoop({
      model,
      heads,
      loss: getLoss({ name: 'crossentropy' }),
      optimizer: getOptimizer({ name: 'adam', learningRate: 0.01 }),
      schedule: new LrSchedule({ type: 'constant', lr: 0.01 }, { epochs: 2, batchSize: 4 }),
      train: data,
      batchSize: 4,
      inputShape: shape,
      epochs: 2,
      freezeEpochs: 1,
      callbacks: [{ onEpochEnd: () => void snaps.push(snapshot(current)) }],
    });
    current = result.model;
    try {
      const [init, e1, e2] = snaps as [Map<string, number[][]>, Map<string, number[][]>, Map<string, number[][]>];
      const weighted = [...init.keys()].filter((k) => init.get(k)!.length > 0);
      const headNames = ['head0_color', 'head1_flag'];
      for (const k of weighted)
        expect(changed(init.get(k)!, e1.get(k)!), `${k} after the frozen epoch`).toBe(headNames.includes(k));
      // after the frozen epoch every conv and every BN (gamma/beta and moving statistics) moves
      for (const k of weighted) expect(changed(e1.get(k)!, e2.get(k)!), `${k} after epoch 2`).toBe(true);
      expect(changed([init.get('features_0_1')![2]!], [e2.get('features_0_1')![2]!])).toBe(true); // moving mean
      // and the model comes back all trainable
      expect(result.model.layers.filter((l) => l.weights.length > 0 && !l.trainable).map((l) => l.name)).toEqual([]);
    } finally {
      result.model.dispose();
    }
  }, 120_000);

  it('a frozen BN normalises with its moving statistics in training mode (the output equals inference)', () => {
    const model = buildModel('tv-resnet18', { inputShape: shape, heads, width: 1 / 16, seed: 2 });
    randomizeBatchNorm(model, 2);
    const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 4);
    try {
      // (a live training forward moves the moving statistics: read inference after it)
      const trainLive = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor[])[0]!.dataSync());
      const infer = (model.predict(x) as tf.Tensor[])[0]!.dataSync();
      expect(Math.max(...Array.from(infer, (v, i) => Math.abs(v - trainLive[i]!)))).toBeGreaterThan(1e-3);
      setBackboneFrozen(model, true);
      const trainFrozen = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor[])[0]!.dataSync());
      expect(Array.from(trainFrozen)).toEqual(Array.from(infer));
      expect(model.trainableWeights.map((w) => w.originalName).sort()).toEqual([
        'head0_color/bias',
        'head0_color/kernel',
        'head1_flag/bias',
        'head1_flag/kernel',
      ]);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

describe('backbone_lr_mult', () => {
  for (const name of ['sgd', 'adam'] as const) {
    it(`${name}: a backbone variable steps lr × mult, a head variable lr (the first step of both is lr × g or lr × sign(g))`, () => {
      const model = buildModel('tv-resnet18', { inputShape: shape, heads, width: 1 / 16, seed: 2 });
      const mult = backboneLrMultiplier(model, 0.1);
      expect(mult('layer1_0_conv1/kernel')).toBe(0.1);
      expect(mult('head1_flag/bias')).toBe(1);
      model.dispose();
      const opt = getOptimizer({ name, learningRate: 0.5, ...(name === 'sgd' ? { momentum: 0 } : {}) });
      opt.lrMultiplier = mult;
      const a = tf.variable(tf.tensor1d([1, 2]), true, 'fa');
      const h = tf.variable(tf.tensor1d([1, 2]), true, 'fh');
      const g = tf.tensor1d([0.2, -0.4]);
      opt.applyGradients([g, g], [a, h], ['layer1_0_bn1/gamma', 'head0_color/bias']);
      const step = name === 'sgd' ? [0.2, -0.4] : [1, -1]; // Adam's first step: m̂/√v̂ = sign(g)
      expect(Array.from(a.dataSync()).map((v, i) => (1 + i - v) / step[i]!)).toEqual([
        expect.closeTo(0.05, 5),
        expect.closeTo(0.05, 5),
      ]);
      expect(Array.from(h.dataSync()).map((v, i) => (1 + i - v) / step[i]!)).toEqual([
        expect.closeTo(0.5, 5),
        expect.closeTo(0.5, 5),
      ]);
      expect(opt.learningRate).toBe(0.5); // the base rate is back for the schedule
      tf.dispose([a, h, g]);
      opt.dispose();
    });
  }
});
