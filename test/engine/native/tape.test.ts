/**
 * Saved tensors of gradients on native (src/engine/native/tape.ts): tfjs' engine clones every
 * tensor a kernel's gradient keeps; on native that clone shares the buffer without running the
 * Identity kernel. Gradients must not change: first and second order against the cpu backend and
 * the closed form, a saved tensor outlives the disposal of the tensor it was saved from, and the
 * tensor count stays flat.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { nativeMemory } from '../../../src/engine/native/backend.ts';
import { randomValues } from '../helpers.ts';
import { available, errorRatio, expectNativeMatchesCpu, setupNative } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

/** Counts the kernels `f` runs, by name. */
function kernelCalls(f: () => void): Map<string, number> {
  const engine = tf.engine() as unknown as { runKernelFunc: (p: { kernelName?: string }) => unknown };
  const stock = engine.runKernelFunc;
  const counts = new Map<string, number>();
  engine.runKernelFunc = function (this: unknown, p) {
    const name = p.kernelName ?? 'custom';
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return stock.call(this, p);
  };
  try {
    f();
  } finally {
    engine.runKernelFunc = stock;
  }
  return counts;
}

const X = randomValues(12, 5);

describe.skipIf(!available)('saved tensors of gradients on native', () => {
  it('a gradient with saved inputs runs no Identity kernel on native and matches cpu', () => {
    // Multiply saves both inputs, Exp its output, Sum nothing.
    const program = () => {
      const x = tf.tensor(X, [3, 4]);
      return tf.grads((v: tf.Tensor) => tf.sum(tf.mul(tf.exp(v), v)))([x]);
    };
    tf.setBackend('native');
    const counts = kernelCalls(() => tf.dispose(program()));
    expect(counts.get('Multiply')).toBeGreaterThan(0);
    expect(counts.get('Identity') ?? 0).toBe(0);
    const { native } = expectNativeMatchesCpu(program, { atol: 1e-6, rtol: 1e-6 });
    // d/dx (x·eˣ) = (1 + x)·eˣ
    expect(
      errorRatio(
        native[0]!.values,
        X.map((x) => (1 + x) * Math.exp(x)),
      ),
    ).toBeLessThanOrEqual(1);
  });

  it('second-order gradients flow through the saved tensors: d²/dx² Σ x³ = 6x, as on cpu', () => {
    const program = () => {
      const x = tf.tensor(X, [3, 4]);
      const first = (v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.mul(u, u), u)))(v);
      return [first(x), tf.grad((v: tf.Tensor) => tf.sum(first(v)))(x)];
    };
    const { native } = expectNativeMatchesCpu(program, { atol: 1e-6, rtol: 1e-6 });
    expect(
      errorRatio(
        native[0]!.values,
        X.map((x) => 3 * x * x),
      ),
    ).toBeLessThanOrEqual(1);
    expect(
      errorRatio(
        native[1]!.values,
        X.map((x) => 6 * x),
      ),
    ).toBeLessThanOrEqual(1);
  });

  it('a saved tensor outlives the tensor it was saved from', () => {
    const program = () => {
      const x = tf.tensor(X, [3, 4]);
      return tf.grads((v: tf.Tensor) => {
        const a = tf.mul(v, 2);
        const b = tf.mul(a, a);
        a.dispose(); // Multiply saved a for its gradient: the clone keeps the buffer
        return tf.sum(b);
      })([x]);
    };
    const { native } = expectNativeMatchesCpu(program, { atol: 1e-6, rtol: 1e-6 });
    expect(
      errorRatio(
        native[0]!.values,
        X.map((x) => 8 * x),
      ),
    ).toBeLessThanOrEqual(1);
  });

  it('tensor count and native bytes stay flat over 300 gradients', () => {
    tf.setBackend('native');
    const x = tf.tensor(X, [3, 4]);
    const once = () => tf.dispose(tf.grads((v: tf.Tensor) => tf.sum(tf.mul(tf.exp(v), tf.mul(v, v))))([x]));
    for (let i = 0; i < 20; i++) once();
    const before = { tensors: tf.memory().numTensors, native: nativeMemory() };
    for (let i = 0; i < 300; i++) once();
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(nativeMemory()).toEqual(before.native);
    x.dispose();
  });
});
