import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { debugBatch, formatDebugTable, tensorStats } from '../../src/train/debug.ts';
import { getLoss } from '../../src/train/losses/index.ts';

const heads: HeadSpec[] = [{ name: 'c', classes: ['a', 'b'] }];
beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const batchOf = (fill: (i: number) => number) => ({
  images: Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => fill(i)),
  labels: Int32Array.from([0, 1]),
  size: 2,
});

describe('tensorStats', () => {
  it('mean, std, min, max and NaN/Inf counts by hand', () => {
    expect(tensorStats([1, 3, NaN, Infinity, -Infinity])).toEqual({
      mean: 2,
      std: 1,
      min: 1,
      max: 3,
      nan: 1,
      inf: 2,
      size: 5,
    });
  });
});

describe('debugBatch', () => {
  it('reports every layer output and weight gradient and leaves the weights unchanged', () => {
    const m = buildModel('resnet18', { inputShape: [8, 8, 3], heads, width: 1 / 16, seed: 1 });
    const before = m.getWeights().map((w) => Array.from(w.dataSync()));
    const n0 = tf.memory().numTensors;
    const r = debugBatch(
      m,
      heads,
      batchOf((i) => Math.sin(i)),
      [8, 8, 3],
      { loss: getLoss('ce') },
    );
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.layers.length).toBe(m.layers.length - 1);
    expect(r.layers.map((l) => l.name).slice(0, 3)).toEqual(['stem_conv_pad', 'stem_conv', 'stem_bn']);
    const stem = r.layers.find((l) => l.name === 'stem_conv')!;
    expect(stem.gradients.map((g) => g.weight)).toEqual(['stem_conv/kernel']);
    expect(stem.output!.size).toBe(2 * 4 * 4 * 4);
    expect(r.layers.find((l) => l.name === 'stem_bn')!.gradients.map((g) => g.weight)).toEqual([
      'stem_bn/gamma',
      'stem_bn/beta',
    ]);
    expect(Number.isFinite(r.loss)).toBe(true);
    // ∂CE/∂logits = (softmax − onehot)/N: each row sums to 0, so the mean is 0; the first layer's
    // output gradient is finite and non-zero
    const head = r.layers.find((l) => l.name === 'head0_c')!;
    expect(head.outputGradient!.size).toBe(2 * 2);
    expect(head.outputGradient!.mean).toBeCloseTo(0, 6);
    expect(head.outputGradient!.max).toBeLessThanOrEqual(0.5);
    expect(stem.outputGradient!.std).toBeGreaterThan(0);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    expect(formatDebugTable(r).split('\n')[1]).toMatch(/^layer\s+class\s+out mean/);
    m.dispose();
  });
  it('check_numerics names the first layer with a NaN, and a bad input batch', () => {
    const m = buildModel('resnet18', { inputShape: [8, 8, 3], heads, width: 1 / 16, seed: 1 });
    const layer = m.getLayer('s2b1_a_conv');
    const k = layer.getWeights()[0]!;
    const bad = tf.tidy(() => k.add(tf.scalar(NaN).mul(tf.oneHot([0], k.size).reshape(k.shape))));
    layer.setWeights([bad]);
    bad.dispose();
    expect(() =>
      debugBatch(
        m,
        heads,
        batchOf((i) => Math.cos(i)),
        [8, 8, 3],
        { loss: getLoss('ce'), checkNumerics: true },
      ),
    ).toThrow(
      /^check_numerics: layer s2b1_a_conv \(Conv2D\) is the first with non-finite values: output has \d+ NaN and 0 Inf values/,
    );
    expect(() =>
      debugBatch(
        m,
        heads,
        batchOf((i) => (i === 5 ? NaN : 0.1)),
        [8, 8, 3],
        { loss: getLoss('ce'), checkNumerics: true },
      ),
    ).toThrow('check_numerics: the input batch holds 1 NaN and 0 Inf values');
    m.dispose();
  });
});
