/**
 * Per-variable gradient hooks (src/engine/distributed/gradient-hooks.ts): each variable's complete
 * gradient is reported once, during the backward pass, last layer first, even when a variable is
 * read twice (a conv kernel by its layer and by the L2 penalty); a variable the tape also uses
 * directly would arrive in parts, so then nothing is reported early. The gradients returned are
 * those of plain tf.variableGrads, and no tensor is left behind.
 */
import { describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src/engine/index.ts';
import { hookedVariableGrads } from '../../../src/engine/distributed/gradient-hooks.ts';

function setup() {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers
    .dense({ units: 3, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(input) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const weights = model.trainableWeights;
  const vars = weights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor2d([1, 2, 3, 4, -1, 0.5, 2, -3], [2, 4]);
  return { model, weights, vars, x };
}

describe('gradient hooks on the tape', () => {
  it('report each complete gradient once, in reverse layer order; the results are plain variableGrads', async () => {
    await initEngine({ engine: 'native', threads: 1 });
    const { model, weights, vars, x } = setup();
    const before = tf.memory().numTensors;
    // the first kernel is read twice: by its layer and by an L2 term
    const loss = () =>
      tf.tidy(() =>
        tf.add(
          tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)),
          tf.sum(tf.square(weights[0]!.read())),
        ),
      ) as tf.Scalar;
    const plain = tf.variableGrads(loss, vars);
    const reported: Array<[number, number[]]> = [];
    const hooked = hookedVariableGrads(loss, vars, weights, (k, g) => reported.push([k, Array.from(g.dataSync())]));
    expect(hooked.early).toBe(true);
    expect(reported.map(([k]) => k)).toEqual([3, 2, 1, 0]);
    for (const [k, g] of reported) expect(g).toEqual(Array.from(plain.grads[vars[k]!.name]!.dataSync()));
    for (const v of vars)
      expect(Array.from(hooked.grads[v.name]!.dataSync())).toEqual(Array.from(plain.grads[v.name]!.dataSync()));
    // reads are the layer's own again
    expect(weights[0]!.read()).toBe(vars[0]);
    tf.dispose([plain.value, hooked.value, ...Object.values(plain.grads), ...Object.values(hooked.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('report nothing early when the tape also uses a variable directly (its gradient would come in parts)', async () => {
    await initEngine({ engine: 'native', threads: 1 });
    const { model, weights, vars, x } = setup();
    const loss = () =>
      tf.tidy(() =>
        tf.add(tf.sum(model.apply(x, { training: true }) as tf.Tensor), tf.sum(tf.square(vars[0]!))),
      ) as tf.Scalar;
    const plain = tf.variableGrads(loss, vars);
    const reported: number[] = [];
    const hooked = hookedVariableGrads(loss, vars, weights, (k) => reported.push(k));
    expect(hooked.early).toBe(false);
    expect(reported).toEqual([]);
    for (const v of vars)
      expect(Array.from(hooked.grads[v.name]!.dataSync())).toEqual(Array.from(plain.grads[v.name]!.dataSync()));
    tf.dispose([plain.value, hooked.value, ...Object.values(plain.grads), ...Object.values(hooked.grads)]);
    model.dispose();
  });
});
