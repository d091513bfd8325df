/**
 * Mixed precision (issue #22) over whole training steps on the native engine: 20 trainStep calls
 * (src/train/step.ts) of a tiny resnet18 in bf16 follow the fp32 loss trajectory from the same
 * weights and batch; GHM-C, focal and ASL losses stay finite in bf16; check_numerics still names
 * the layer holding a NaN; tf's tensor count, libtorch's live bytes and the addon's derived tensors
 * (the cast weight copies among them) stay flat over 60 bf16 steps; the weights stay float32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';
import { nativeMemory } from '../../src/engine/native/backend.ts';
import { fallbackCounts, resetFallbackCounts } from '../../src/engine/native/kernels/fallback.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { regularizedVariables } from '../../src/model/regularization.ts';
import { headInfos } from '../../src/train/losses/multihead.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { trainStep, type InputShape, type Objective, type StepBatch } from '../../src/train/step.ts';
import { debugBatch } from '../../src/train/debug.ts';
import { randomValues } from './helpers.ts';
import { available, setupNative } from './native/compare.ts';

const heads: HeadSpec[] = [
  { name: 'digit', classes: ['0', '1', '2', '3', '4'] },
  { name: 'flag', classes: ['flag'] },
];
const SHAPE: InputShape = [32, 48, 3];
// Batch 8: with 4 images per batch norm, bf16 rounding moves step 2-3 by up to 8% (the early,
// steep part of the descent) though both runs end at the same loss.
const N = 8;
const batch: StepBatch = {
  images: randomValues(N * 32 * 48 * 3, 7),
  labels: Int32Array.from([3, 1, 0, 0, -1, 1, 4, 0, 2, 1, 1, 0, 0, 1, 4, 0]),
  size: N,
};

const setPrecision = (p: 'fp32' | 'bf16') => loadAddon().addon!.setPrecision(p);

/** Losses of `steps` trainSteps at `precision` from `weights`, with a fresh Adam. */
function trajectory(precision: 'fp32' | 'bf16', weights: Float32Array[], loss: string, steps: number): number[] {
  setPrecision(precision);
  const model = buildModel('resnet18', { inputShape: SHAPE, heads, width: 1 / 8, seed: 3 });
  const opt = getOptimizer({ name: 'adam', learningRate: 1e-3 });
  try {
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape)));
    const obj: Objective = {
      loss: getLoss(loss),
      heads,
      infos: headInfos(heads),
      lossOptions: {},
      reg: regularizedVariables(model),
      l2: {},
    };
    resetFallbackCounts();
    const losses = Array.from({ length: steps }, () => trainStep(model, opt, obj, batch, SHAPE).loss!);
    expect(Object.fromEntries(fallbackCounts()), 'kernels that ran on the cpu fallback').toEqual({});
    // Master weights stay float32 (what tfjs holds, what a save writes).
    expect(new Set(model.getWeights().map((w) => w.dtype))).toEqual(new Set(['float32']));
    return losses;
  } finally {
    model.dispose();
    opt.dispose();
    setPrecision('fp32');
  }
}

function initialWeights(): Float32Array[] {
  const probe = buildModel('resnet18', { inputShape: SHAPE, heads, width: 1 / 8, seed: 3 });
  const weights = probe.getWeights().map((w) => w.dataSync() as Float32Array);
  probe.dispose();
  return weights;
}

beforeAll(async () => {
  if (available) await setupNative();
});
afterAll(() => {
  if (available) setPrecision('fp32');
});

describe.skipIf(!available)('bf16 training on native', () => {
  it('20 trainStep losses in bf16 track fp32 (same weights, same batch)', () => {
    const weights = initialWeights();
    const fp32 = trajectory('fp32', weights, 'crossentropy', 20);
    const bf16 = trajectory('bf16', weights, 'crossentropy', 20);
    expect(fp32[19]!).toBeLessThan(0.8 * fp32[0]!);
    // bf16 rounds each conv/matmul input to 8 significant bits (~0.4%): the loss differs by
    // ~0.5% at step 1; on the steep early steps (3.33 → 0.91 in two) a small difference in the
    // step taken moves the loss by up to ~6% (measured: step 3 0.908 fp32, 0.856 bf16), then both
    // runs converge (0.441 vs 0.442 at step 20). Allowed: 2% of the first loss plus 2% of the step's
    // own, and 1% at step 20; a conv or gradient computed wrongly in bf16 stops or slows the
    // descent (≥ 20% off by step 20).
    const shown = `\nfp32 ${fp32.map((l) => l.toFixed(3)).join(' ')}\nbf16 ${bf16.map((l) => l.toFixed(3)).join(' ')}`;
    bf16.forEach((l, i) =>
      expect(Math.abs(l - fp32[i]!), `step ${i + 1}${shown}`).toBeLessThan(0.02 * fp32[0]! + 0.02 * fp32[i]!),
    );
    expect(Math.abs(bf16[19]! - fp32[19]!), `step 20${shown}`).toBeLessThan(0.01 * fp32[19]!);
    // It did run in bf16: float32 alone reproduces fp32 to ~1e-6 (test/engine/native/training.test.ts).
    expect(Math.max(...bf16.map((l, i) => Math.abs(l - fp32[i]!)))).toBeGreaterThan(1e-5);
  });

  it.each(['ghm', 'focal', 'asl'])('%s: 10 bf16 steps stay finite and descend', (loss) => {
    const losses = trajectory('bf16', initialWeights(), loss, 10);
    for (const l of losses) expect(Number.isFinite(l), `${loss} losses ${losses.join(', ')}`).toBe(true);
    expect(losses[9]!).toBeLessThan(losses[0]!);
  });

  it('check_numerics names the first layer with a NaN under bf16', () => {
    setPrecision('bf16');
    const m = buildModel('resnet18', { inputShape: [8, 8, 3], heads, width: 1 / 16, seed: 1 });
    try {
      const layer = m.getLayer('s2b1_a_conv');
      const k = layer.getWeights()[0]!;
      const bad = tf.tidy(() => k.add(tf.scalar(NaN).mul(tf.oneHot([0], k.size).reshape(k.shape))));
      layer.setWeights([bad]);
      bad.dispose();
      const b = {
        images: Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.cos(i)),
        labels: Int32Array.from([0, 1, 1, 0]),
        size: 2,
      };
      expect(() => debugBatch(m, heads, b, [8, 8, 3], { loss: getLoss('ce'), checkNumerics: true })).toThrow(
        /^check_numerics: layer s2b1_a_conv \(Conv2D\) is the first with non-finite values/,
      );
    } finally {
      m.dispose();
      setPrecision('fp32');
    }
  });

  it('tensor count, live bytes and derived tensors are the same after bf16 step 10 and step 60', () => {
    setPrecision('bf16');
    const model = buildModel('resnet18', { inputShape: [16, 16, 3], heads, width: 1 / 16, seed: 1 });
    const opt = getOptimizer({ name: 'adam', learningRate: 1e-3 });
    const obj: Objective = {
      loss: getLoss('crossentropy'),
      heads,
      infos: headInfos(heads),
      lossOptions: {},
      reg: regularizedVariables(model),
      l2: {},
    };
    const small: StepBatch = {
      images: randomValues(2 * 16 * 16 * 3, 9),
      labels: Int32Array.from([3, 1, 0, 0]),
      size: 2,
    };
    const snapshot = () => {
      const info = loadAddon().addon!.info();
      return {
        tensors: tf.memory().numTensors,
        native: nativeMemory(),
        derived: info.derivedTensors,
        derivedBytes: info.derivedBytes,
      };
    };
    try {
      const at: Record<number, ReturnType<typeof snapshot>> = {};
      for (let i = 1; i <= 60; i++) {
        trainStep(model, opt, obj, small, [16, 16, 3]);
        if (i === 10 || i === 60) at[i] = snapshot();
      }
      expect(at[60]).toEqual(at[10]);
      // The cast weight copies are there (one per conv/dense kernel in use), not leaked per step.
      expect(at[60]!.derived).toBeGreaterThan(0);
      expect(loadAddon().addon!.info().precision).toBe('bf16');
    } finally {
      model.dispose();
      opt.dispose();
      setPrecision('fp32');
    }
  });
});
