/**
 * Every zoo backbone (tiny width), pruned and not, exports to ONNX with outputs within 1e-4 of tfjs
 * on the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel, BACKBONES } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { toOnnx } from '../../src/export/index.ts';
import { pruneModel } from '../../src/prune/index.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';

const HEADS: HeadSpec[] = [
  { name: 'a', classes: ['x', 'y', 'z'] },
  { name: 'b', classes: ['b'] },
];

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

async function maxDiff(model: tf.LayersModel, x: tf.Tensor4D): Promise<number> {
  const exp = toOnnx(model, { heads: HEADS, opset: 13 });
  const session = await ort.InferenceSession.create(exp.bytes);
  try {
    const res = await session.run({ image: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const ref = tf.tidy(() =>
      (model.predict(x) as tf.Tensor[]).map(
        (t, i) => (i === 0 ? tf.softmax(t) : tf.sigmoid(t)).dataSync() as Float32Array,
      ),
    );
    let m = 0;
    exp.outputs.forEach((name, i) =>
      (res[name]!.data as Float32Array).forEach((v, j) => (m = Math.max(m, Math.abs(v - ref[i]![j]!)))),
    );
    return m;
  } finally {
    await session.release();
  }
}

describe('zoo export', () => {
  for (const name of Object.keys(BACKBONES)) {
    it(`${name}: ONNX == tfjs before and after (residual) pruning`, async () => {
      const model = buildModel(name, { inputShape: [20, 28, 3], heads: HEADS, width: 0.0625, seed: 2 });
      randomizeBatchNorm(model, 2);
      const x = tf.randomNormal([2, 20, 28, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const { model: pruned, report } = pruneModel(model, { ratio: 0.3, minChannels: 2, residual: true });
      try {
        expect(await maxDiff(model, x)).toBeLessThan(1e-4);
        expect(await maxDiff(pruned, x)).toBeLessThan(1e-4);
        expect(report.params.after).toBeLessThanOrEqual(report.params.before);
        if (name === 'resnext18') {
          // the grouped MixedConv2D inputs were pruned group-consistently, so the ONNX Split/Conv sizes differ from the outputs
          const parts = pruned.layers
            .filter((l) => l.getClassName() === 'MixedConv2D')
            .flatMap((l) => (l.getConfig() as { parts?: Array<{ inChannels?: number }> }).parts ?? []);
          expect(parts.some((p) => p.inChannels !== undefined)).toBe(true);
        }
      } finally {
        x.dispose();
        model.dispose();
        pruned.dispose();
      }
    });
  }
});
