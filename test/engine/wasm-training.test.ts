/**
 * End-to-end checks of the custom kernels inside real training: a tiny conv net (strided conv,
 * batch norm, depthwise conv, relu6, max pool, 1×1 conv, GAP, dense) follows the same loss
 * trajectory on wasm as on cpu, repeated gradient calls leak neither tensors nor wasm buffers, and
 * the copy-free Identity keeps shared buffers alive exactly as long as needed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { randomValues, setupBackends } from './helpers.ts';

/**
 * A net whose 3×3 stride-1 convs have channel counts that are multiples of 4, so they run through
 * Winograd (forward, dX, dW) and its batch norms through the SIMD per-channel Sum/Mean.
 */
function winogradNet(): tf.LayersModel {
  const input = tf.input({ shape: [10, 9, 4] });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(input);
  y = tf.layers.batchNormalization().apply(y);
  y = tf.layers.activation({ activation: 'relu' }).apply(y);
  y = tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(y);
  y = tf.layers.globalAveragePooling2d({}).apply(y);
  const out = tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function tinyNet(): tf.LayersModel {
  const input = tf.input({ shape: [16, 14, 3] });
  let y = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input);
  y = tf.layers.batchNormalization().apply(y);
  y = tf.layers.activation({ activation: 'relu' }).apply(y);
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }).apply(y);
  y = tf.layers.activation({ activation: 'relu6' }).apply(y);
  y = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y);
  y = tf.layers.conv2d({ filters: 6, kernelSize: 1 }).apply(y);
  y = tf.layers.conv2d({ filters: 7, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(y);
  y = tf.layers.globalAveragePooling2d({}).apply(y);
  const out = tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function trajectory(backend: 'cpu' | 'wasm', weights: Float32Array[], steps: number, net = tinyNet): number[] {
  tf.setBackend(backend);
  const model = net();
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const optimizer = tf.train.sgd(0.05);
  try {
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape)));
    const x = tf.tensor4d(randomValues(4 * h * w * c, 7), [4, h, w, c]);
    const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const loss = optimizer.minimize(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, true)!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    tf.dispose([x, labels]);
    return losses;
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.setBackend('wasm');
  }
}

beforeAll(setupBackends);

describe('training on wasm with the custom kernels', () => {
  it('follows the cpu loss trajectory of a tiny conv net', () => {
    tf.setBackend('cpu');
    const probe = tinyNet();
    const weights = probe.getWeights().map((w, i) => randomValues(w.size, 1000 + i).map((v) => v * 0.5));
    probe.dispose();
    const cpu = trajectory('cpu', weights, 6);
    const wasm = trajectory('wasm', weights, 6);
    expect(cpu[5]).toBeLessThan(cpu[0]);
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]))));
  });

  it('follows the cpu loss trajectory with Winograd convs (both GEMM orientations) and SIMD batch-norm sums', () => {
    tf.setBackend('cpu');
    const probe = winogradNet();
    const weights = probe.getWeights().map((w, i) => randomValues(w.size, 2000 + i).map((v) => v * 0.5));
    probe.dispose();
    const cpu = trajectory('cpu', weights, 6, winogradNet);
    expect(cpu[5]).toBeLessThan(cpu[0]);
    try {
      for (const gemm of ['vu', 'uv']) {
        Object.assign(process.env, { MLC_PIPE_WINOGRAD: 'force', MLC_PIPE_WINOGRAD_GEMM: gemm });
        const wasm = trajectory('wasm', weights, 6, winogradNet);
        wasm.forEach((l, i) => expect(Math.abs(l - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]))));
      }
    } finally {
      delete process.env.MLC_PIPE_WINOGRAD;
      delete process.env.MLC_PIPE_WINOGRAD_GEMM;
    }
  });

  it('keeps tensor and wasm buffer counts flat over Winograd training steps (weights new every step)', () => {
    tf.setBackend('wasm');
    process.env.MLC_PIPE_WINOGRAD = 'force';
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const model = winogradNet();
    const optimizer = tf.train.sgd(0.01);
    const x = tf.tensor4d(randomValues(2 * 10 * 9 * 4, 9), [2, 10, 9, 4]);
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    try {
      const step = () => {
        tf.dispose(
          optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
          )!,
        );
        tf.tidy(() => {
          (model.predict(x) as tf.Tensor).dataSync();
        }); // a second use of the weights: cached transforms
      };
      step();
      step();
      const tensors = tf.memory().numTensors;
      const buffers = backend.numDataIds();
      for (let i = 0; i < 4; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backend.numDataIds()).toBe(buffers);
    } finally {
      delete process.env.MLC_PIPE_WINOGRAD;
      tf.dispose([x, labels]);
      model.dispose();
      optimizer.dispose();
    }
  });

  it('keeps tensor and wasm buffer counts flat over repeated gradient calls', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor4d(randomValues(3 * 9 * 7 * 5, 3), [3, 9, 7, 5]);
    const f = tf.tensor4d(randomValues(3 * 3 * 5 * 6, 4), [3, 3, 5, 6]);
    const d = tf.tensor4d(randomValues(5 * 5 * 5 * 2, 5), [5, 5, 5, 2]);
    const step = () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.add(
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum(),
          tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 2, 'valid').sum(),
        ),
      );
      tf.dispose(g([x, f, d]));
    };
    step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([x, f, d]);
  });

  it('Identity (tf.clone) shares the buffer on wasm and keeps it alive until the last reference goes', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(backend.numDataIds()).toBe(before + 1);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(backend.numDataIds()).toBe(before);
  });
});
