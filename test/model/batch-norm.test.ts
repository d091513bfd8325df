/**
 * The BatchNormalization layer's moving statistics (src/model/layers/batch-norm.ts) on the composed
 * path (backends without the fused kernel): the batch is normalised with the biased variance, and the
 * moving variance takes the unbiased one, as PyTorch's BatchNorm2d (#29). Checked against plain JS.
 */
import { beforeAll, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { initEngine } from '../../src/engine/index.ts';
import { BatchNormalization } from '../../src/model/layers/batch-norm.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

it('one training call: output uses the biased variance, the moving variance the unbiased one (momentum 0.9)', () => {
  // 2 images × 1×2 positions × 2 channels: 4 values per channel.
  const values = [1, 10, 2, 20, 4, 40, 7, 70];
  const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-3 });
  const y = layer.apply(tf.tensor4d(values, [2, 1, 2, 2]), { training: true }) as tf.Tensor;
  const [, , movingMean, movingVariance] = layer.getWeights();
  for (const c of [0, 1]) {
    const xs = values.filter((_, i) => i % 2 === c);
    const mean = xs.reduce((a, b) => a + b, 0) / 4;
    const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
    expect(movingMean!.dataSync()[c]).toBeCloseTo(0.1 * mean, 5);
    expect(movingVariance!.dataSync()[c]! / (0.9 + 0.1 * (ss / 3))).toBeCloseTo(1, 6);
    const out = Array.from(y.dataSync()).filter((_, i) => i % 2 === c);
    out.forEach((v, i) => expect(v).toBeCloseTo((xs[i]! - mean) / Math.sqrt(ss / 4 + 1e-3), 4));
  }
  layer.dispose();
});
