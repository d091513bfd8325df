import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { l2Penalty, regularizedVariables } from '../../src/model/regularization.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

describe('l1_gamma (network slimming sparsity)', () => {
  it('adds λ·Σ|γ| whose gradient is the subgradient λ·sign(γ), 0 at γ = 0, and reaches only BN gammas', () => {
    const m = buildModel('resnet18', {
      inputShape: [12, 20, 3],
      heads: [{ name: 'h', classes: ['a', 'b'] }],
      width: 1 / 8,
      seed: 3,
    });
    const reg = regularizedVariables(m);
    // Give the gammas both signs and exact zeros, as a hand-checkable pattern.
    for (const v of reg.bnGammas) {
      const n = v.shape[0]!;
      const vals = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 0.25 * (i + 1) : -0.5 * i));
      v.write(tf.tensor1d(vals));
    }
    const lam = 0.01;
    const before = tf.memory().numTensors;
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => l2Penalty(reg, { l2Conv: 0, l2Gamma: 0, l1Gamma: lam }), vars);
    let expected = 0;
    const gammaNames = new Set(reg.bnGammas.map((v) => (v.read() as tf.Variable).name));
    for (const v of vars) {
      const g = grads[v.name];
      if (gammaNames.has(v.name)) {
        const w = Array.from(v.dataSync());
        expected += lam * w.reduce((s, x) => s + Math.abs(x), 0);
        // Hand subgradient: +λ for γ > 0, −λ for γ < 0, 0 at γ = 0.
        const hand = w.map((x) => (x > 0 ? lam : x < 0 ? -lam : 0));
        expect(Array.from(g!.dataSync())).toEqual(hand.map((x) => Math.fround(x)));
      } else if (g) {
        expect(Math.max(...Array.from(g.dataSync(), Math.abs))).toBe(0);
      }
    }
    expect(value.dataSync()[0]).toBeCloseTo(expected, 5);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('is off by default: the penalty equals the L2 terms alone', () => {
    const m = buildModel('resnet18', {
      inputShape: [12, 20, 3],
      heads: [{ name: 'h', classes: ['a', 'b'] }],
      width: 1 / 8,
      seed: 3,
    });
    const reg = regularizedVariables(m);
    const a = tf.tidy(() => l2Penalty(reg, { l2Conv: 1e-3, l2Gamma: 1e-2 }).dataSync()[0]!);
    const b = tf.tidy(() => l2Penalty(reg, { l2Conv: 1e-3, l2Gamma: 1e-2, l1Gamma: 0 }).dataSync()[0]!);
    const gammaL1 = reg.bnGammas.reduce(
      (s, v) => s + Array.from(v.read().dataSync()).reduce((t, x) => t + Math.abs(x), 0),
      0,
    );
    const c = tf.tidy(() => l2Penalty(reg, { l2Conv: 1e-3, l2Gamma: 1e-2, l1Gamma: 0.5 }).dataSync()[0]!);
    expect(a).toBe(b);
    expect(c - a).toBeCloseTo(0.5 * gammaL1, 3);
    m.dispose();
  });
});
