/**
 * compileInference (src/model/inference/compile.ts) against model.predict: every zoo backbone at a tiny
 * width, with random BN statistics (so folding is not the identity), on wasm and cpu; a hand-built
 * model covering conv bias, a conv's own activation, standalone BN + ReLU6, Dense activation and a
 * fallback layer; no tensor leaks.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { initEngine } from '../../src/engine/index.ts';
import { compileInference } from '../../src/model/inference/compile.ts';
import { buildModel, BACKBONES } from '../../src/model/index.ts';
import { randomValues } from '../engine/helpers.ts';

/** Gives every BatchNormalization random γ, β, mean and variance (variance in [0.5, 1.5]). */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.weights.map((w, i) => {
      const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      const r = randomValues(size, seed++ * 7 + i);
      const v = w.originalName.includes('variance') ? r.map((u) => 1 + 0.5 * u) : r.map((u) => 0.5 * u);
      return tf.tensor(v, w.shape as number[]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** max |a − b| / max |b| over all outputs. */
function relativeError(got: tf.Tensor[], want: tf.Tensor[]): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => {
    expect(g.shape).toEqual(want[i]!.shape);
    const a = g.dataSync();
    const b = want[i]!.dataSync();
    let scale = 1e-6;
    for (const v of b) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!) / scale);
  });
  return worst;
}

/** Compiles `model`, checks outputs vs model.predict and that nothing leaks; returns the summary. */
function check(model: tf.LayersModel, input: [number, number, number, number]): string[] {
  const start = tf.memory().numTensors;
  const x = tf.tensor(
    randomValues(
      input.reduce((a, b) => a * b, 1),
      5,
    ),
    input,
  ) as tf.Tensor4D;
  const compiled = compileInference(model);
  const afterCompile = tf.memory().numTensors;
  const want = model.predict(x) as tf.Tensor | tf.Tensor[];
  const wantList = Array.isArray(want) ? want : [want];
  for (let round = 0; round < 2; round++) {
    const got = compiled.predict(x);
    // Only the outputs are new tensors.
    expect(tf.memory().numTensors).toBe(afterCompile + wantList.length + got.length);
    expect(relativeError(got, wantList)).toBeLessThan(1e-4);
    tf.dispose(got);
  }
  const summary = compiled.summary;
  compiled.dispose();
  tf.dispose([...wantList, x]);
  expect(tf.memory().numTensors).toBe(start);
  return summary;
}

const heads = [
  { name: 'a', classes: ['yes'] },
  { name: 'b', classes: ['p', 'q', 'r'] },
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`compileInference on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ engine: backend });
    });

    for (const name of Object.keys(BACKBONES)) {
      it(`${name} matches model.predict`, () => {
        const model = buildModel(name, { inputShape: [24, 40, 3], heads, width: 0.125, seed: 2 });
        try {
          randomizeBatchNorms(model, 11);
          const summary = check(model, [3, 24, 40, 3]);
          // Every conv of the zoo is fused (no fallbacks) and the conv → BN → ReLU groups are one step.
          expect(summary.filter((s) => s.startsWith('layer.apply'))).toEqual([]);
          // (torchvision layouts: layer1_0_conv1+layer1_0_bn1+layer1_0_relu, features_0_0+features_0_1+features_0_2)
          const fused = /^fused conv: .*_conv\d?\+.*_bn\d?\+.*_relu$/;
          const tvMobile = /^fused conv: features_(\d+)_(conv_\d_)?0\+features_\1_\2?1\+features_\1_\2?2$/;
          expect(summary.some((s) => fused.test(s) || tvMobile.test(s) || /_mixdw\+.*_bn\+/.test(s))).toBe(true);
        } finally {
          model.dispose();
        }
      });
    }

    it('covers conv bias, conv activation, standalone BN + ReLU6, dense activation and fallbacks', () => {
      const input = tf.input({ shape: [9, 11, 5] });
      let y = tf.layers
        .conv2d({
          filters: 6,
          kernelSize: 3,
          padding: 'same',
          useBias: true,
          biasInitializer: 'randomNormal',
          kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
        })
        .apply(input) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.activation({ activation: 'relu6' }).apply(y) as tf.SymbolicTensor;
      y = tf.layers
        .conv2d({
          filters: 7,
          kernelSize: 5,
          strides: 2,
          padding: 'valid',
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: 2 }),
        })
        .apply(y) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ center: false }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
      y = tf.layers
        .depthwiseConv2d({
          kernelSize: 3,
          depthMultiplier: 2,
          padding: 'same',
          depthwiseInitializer: tf.initializers.heNormal({ seed: 3 }),
        })
        .apply(y) as tf.SymbolicTensor;
      const bn = tf.layers.batchNormalization({ scale: false }).apply(y) as tf.SymbolicTensor;
      const elu = tf.layers.elu().apply(bn) as tf.SymbolicTensor; // no fast path: layer.apply
      const pooled = tf.layers.globalAveragePooling2d({}).apply(elu) as tf.SymbolicTensor;
      const out1 = tf.layers
        .dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })
        .apply(pooled) as tf.SymbolicTensor;
      const out2 = tf.layers.flatten().apply(bn) as tf.SymbolicTensor; // a BN output read by two layers and a model output path
      const model = tf.model({ inputs: input, outputs: [out1, out2] });
      try {
        randomizeBatchNorms(model, 3);
        const summary = check(model, [2, 9, 11, 5]);
        expect(summary.filter((s) => s.startsWith('layer.apply')).length).toBe(2); // elu, flatten
        expect(summary.filter((s) => s.startsWith('fused conv')).length).toBe(3);
      } finally {
        model.dispose();
      }
    });

    it('runs graphs it cannot walk (a shared layer) through model.predict', () => {
      const input = tf.input({ shape: [6, 6, 2] });
      const shared = tf.layers.conv2d({
        filters: 2,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tf.initializers.heNormal({ seed: 5 }),
      });
      const y = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: y });
      try {
        expect(check(model, [1, 6, 6, 2])).toEqual([expect.stringMatching(/^model.predict: layer .* is used 2 times/)]);
      } finally {
        model.dispose();
      }
    });
  });
}
