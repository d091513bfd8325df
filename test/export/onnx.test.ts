import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initEngine, tf } from '../../src/engine/index.ts';
import { toOnnx } from '../../src/export/index.ts';
import { decodeModel } from '../../src/export/onnx-proto.ts';
import { buildExportFixture, EXPORT_HEADS } from './fixture.ts';
import { buildFixture } from '../prune/fixture.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

/** tfjs reference: logits from the cpu backend, softmax / sigmoid applied here. */
function tfjsProbs(model: tf.LayersModel, x: tf.Tensor4D, probabilities: boolean): Float32Array[] {
  return tf.tidy(() => {
    const out = model.predict(x) as tf.Tensor2D[];
    return out.map((t, i) => {
      if (!probabilities) return t.dataSync() as Float32Array;
      return (EXPORT_HEADS[i]!.classes.length === 1 ? tf.sigmoid(t) : tf.softmax(t)).dataSync() as Float32Array;
    });
  });
}

async function runOnnx(bytes: Uint8Array, x: tf.Tensor4D): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    const res = await session.run(feeds);
    return Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[i]!))));
  return m;
}

describe('toOnnx', () => {
  for (const [opset, fold, probabilities] of [
    [13, true, true],
    [13, false, false],
    [18, true, true],
  ] as const) {
    it(`matches tfjs (cpu) within 1e-4: opset ${opset}, ${fold ? 'BN folded' : 'BN nodes'}, ${probabilities ? 'probabilities' : 'logits'}`, async () => {
      const model = buildExportFixture();
      const x = tf.randomNormal([3, 9, 11, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      try {
        const exp = toOnnx(model, { heads: EXPORT_HEADS, opset, foldBatchNorm: fold, probabilities });
        expect(exp.outputs).toEqual(probabilities ? ['digit', 'dress'] : ['digit_logits', 'dress_logits']);
        for (const op of [
          'Transpose',
          'Conv',
          'Split',
          'Concat',
          'Relu',
          'Clip',
          'Add',
          'Pad',
          'MaxPool',
          'AveragePool',
          'GlobalAveragePool',
          'Gemm',
        ]) {
          expect(exp.ops[op], op).toBeGreaterThan(0);
        }
        expect(exp.ops.BatchNormalization).toBe(fold ? 1 : 4); // add_bn never folds
        expect(exp.folded).toEqual(fold ? ['stem_bn', 'dw_bn', 'mix_bn'] : []);
        const onnx = await runOnnx(exp.bytes, x);
        const ref = tfjsProbs(model, x, probabilities);
        exp.outputs.forEach((name, i) => {
          expect(maxAbsDiff(onnx[name]!, ref[i]!), name).toBeLessThan(1e-4);
        });
        if (probabilities) {
          expect(exp.ops.Softmax).toBe(1);
          expect(exp.ops.Sigmoid).toBe(1);
        }
      } finally {
        x.dispose();
        model.dispose();
      }
    });
  }

  it('leaves no tensors behind', () => {
    const model = buildExportFixture();
    try {
      const before = tf.memory().numTensors;
      toOnnx(model, { heads: EXPORT_HEADS });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it('writes the ONNX header fields the spec requires', () => {
    const model = buildExportFixture();
    try {
      const msg = decodeModel(toOnnx(model, { heads: EXPORT_HEADS, opset: 17, metadata: { heads: 'x' } }).bytes);
      expect(msg.irVersion).toBe(8);
      expect(msg.opsetImport).toEqual([{ domain: '', version: 17 }]);
      expect(msg.producerName).toBe('mlc-pipe');
      expect(msg.metadataProps).toEqual([{ key: 'heads', value: 'x' }]);
      expect(msg.graph.input.map((v) => [v.name, v.type.tensorType.shape.dim])).toEqual([
        ['image', [{ dimParam: 'batch' }, { dimValue: 9 }, { dimValue: 11 }, { dimValue: 3 }]],
      ]);
      expect(msg.graph.output.map((v) => v.name)).toEqual(['digit', 'dress']);
    } finally {
      model.dispose();
    }
  });

  it('exports the pruning fixture (depthwise chain, residual add) within 1e-4', async () => {
    const model = buildFixture();
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    try {
      const exp = toOnnx(model, { probabilities: false });
      expect(exp.outputs).toEqual(['output0_logits', 'output1_logits']);
      const onnx = await runOnnx(exp.bytes, x);
      const ref = tf.tidy(() => (model.predict(x) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
      expect(maxAbsDiff(onnx.output0_logits!, ref[0]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(onnx.output1_logits!, ref[1]!)).toBeLessThan(1e-4);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('names the unsupported layer and lists the supported ones', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const y = tf.layers.upSampling2d({ name: 'up' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.flatten().apply(y) as tf.SymbolicTensor });
    try {
      expect(() => toOnnx(model)).toThrow('layer up: class UpSampling2D has no ONNX export');
      expect(() => toOnnx(model, { opset: 12 })).toThrow('opset must be an integer from 13 to 21, received 12');
    } finally {
      model.dispose();
    }
  });
});
