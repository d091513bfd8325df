/**
 * The native engine's optimizer kernel and memory behaviour: fusedAdamUpdate (Adam, AMSGrad,
 * decoupled weight decay) follows the cpu backend's fused kernel step for step while writing in
 * place, and so do the Sgd (momentum, Nesterov) and RAdam optimizers; tensors that share a variable's
 * buffer (tf.clone, a reshape view) keep the old values; a conv after an in-place step of its filter
 * sees the new filter (the addon's packed-filter cache is dropped);
 * the tensor count and libtorch's live bytes stay flat over 1,000 training steps of a small conv
 * net; `MLC_PIPE_NATIVE=off` hides the addon, `auto` then falls back and says why. In CI (which
 * builds the addon, MLC_PIPE_REQUIRE_NATIVE=1) a missing addon fails instead of skipping.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { initEngine } from '../../../src/engine/index.ts';
import { fusedAdamUpdate, type AdamSlots } from '../../../src/engine/ops/fused-adam/fused-adam.ts';
import { loadAddon } from '../../../src/engine/native/addon.ts';
import { nativeMemory } from '../../../src/engine/native/backend.ts';
import { fallbackCounts, resetFallbackCounts } from '../../../src/engine/native/kernels/fallback.ts';
import { BatchNormalization } from '../../../src/model/layers/batch-norm.ts';
import { Adam } from '../../../src/train/optimizers/adam.ts';
import { Sgd } from '../../../src/train/optimizers/sgd.ts';
import { RAdam } from '../../../src/train/optimizers/radam.ts';
import type { TrainOptimizer } from '../../../src/train/optimizers/base.ts';
import { randomValues } from '../helpers.ts';
import { available, errorRatio, runOn, setupNative } from './compare.ts';

it.runIf(process.env.MLC_PIPE_REQUIRE_NATIVE === '1')(
  'the native addon is built (CI builds it: MLC_PIPE_REQUIRE_NATIVE=1)',
  () => {
    const { addon, reason } = loadAddon();
    expect(reason).toBeUndefined();
    expect(addon?.ops()).toContain('Conv2D');
  },
);

beforeAll(async () => {
  if (available) await setupNative();
});

const SHAPE = [3, 5, 7];
const N = 105;

interface AdamCase {
  amsgrad: boolean;
  weightDecay: number;
}

/** Three fused steps on `backend` from the same start; returns w and the slots' values. */
function adamSteps(backend: 'cpu' | 'native', c: AdamCase, onStep?: (w: tf.Variable, slots: AdamSlots) => void) {
  tf.setBackend(backend);
  // Made in a tidy so that the variables own their buffers (the initial tensors are disposed).
  const w = tf.tidy(() => tf.variable(tf.tensor(randomValues(N, 1), SHAPE)));
  const zeros = () => tf.tidy(() => tf.variable(tf.zeros(SHAPE)));
  const slots: AdamSlots = { m: zeros(), v: zeros(), ...(c.amsgrad ? { vmax: zeros() } : {}) };
  try {
    // Gradients that shrink, so AMSGrad's running maximum differs from v.
    [1, 0.2, 1.5].forEach((scale, k) => {
      const g = tf.tensor(
        randomValues(N, 10 + k).map((x) => x * scale),
        SHAPE,
      );
      fusedAdamUpdate(w, g, slots, {
        learningRate: 0.01,
        beta1: 0.8,
        beta2: 0.95,
        epsilon: 1e-6,
        t: k + 1,
        weightDecay: c.weightDecay,
      });
      g.dispose();
      onStep?.(w, slots);
    });
    return [w, slots.m, slots.v, ...(slots.vmax ? [slots.vmax] : [])].map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose([w, slots.m, slots.v, ...(slots.vmax ? [slots.vmax] : [])]);
    tf.setBackend('native');
  }
}

const adamCases: AdamCase[] = [
  { amsgrad: false, weightDecay: 0 },
  { amsgrad: true, weightDecay: 0 },
  { amsgrad: false, weightDecay: 0.1 },
  { amsgrad: true, weightDecay: 0.1 },
];

// The same float32 formula on both; cpu keeps intermediates in float64: a few ulps.
const ADAM_TOL = { atol: 1e-6, rtol: 1e-5 };

describe.skipIf(!available)('native fusedAdamUpdate', () => {
  it.each(adamCases)('3 steps equal cpu, in place (amsgrad $amsgrad, weight decay $weightDecay)', (c) => {
    const cpu = adamSteps('cpu', c);
    resetFallbackCounts();
    const ids: object[] = [];
    const start = nativeMemory();
    const native = adamSteps('native', c, (w, slots) => {
      ids.push(w.dataId, slots.m.dataId);
      // In place: the step allocated no native tensor (w, m, v, v̂ and nothing else are alive).
      expect(nativeMemory().tensors - start.tensors).toBe(c.amsgrad ? 4 : 3);
    });
    expect(Object.fromEntries(fallbackCounts())).toEqual({});
    expect(new Set(ids.filter((_, i) => i % 2 === 0)).size).toBe(1);
    expect(new Set(ids.filter((_, i) => i % 2 === 1)).size).toBe(1);
    expect(native).toHaveLength(cpu.length);
    native.forEach((values, i) =>
      expect(errorRatio(values, cpu[i]!, ADAM_TOL), ['w', 'm', 'v', 'vmax'][i]).toBeLessThanOrEqual(1),
    );
    // The update moved w: a no-op kernel would also 'match' a no-op reference.
    expect(errorRatio(native[0]!, randomValues(N, 1), ADAM_TOL)).toBeGreaterThan(100);
    expect(nativeMemory()).toEqual(start);
  });

  it.each(adamCases)(
    'a tf.clone and a reshape of w and m taken before a step keep the old values (amsgrad $amsgrad, weight decay $weightDecay)',
    (c) => {
      const cpu = adamSteps('cpu', c);
      const kept: Array<{ before: Float32Array; tensors: tf.Tensor[] }> = [];
      const native = adamSteps('native', c, (w, slots) => {
        // Taken after each step, checked after the later ones.
        kept.push({ before: w.dataSync().slice() as Float32Array, tensors: [tf.clone(w), tf.reshape(w, [-1])] });
        kept.push({
          before: slots.m.dataSync().slice() as Float32Array,
          tensors: [tf.clone(slots.m), tf.reshape(slots.m, [N])],
        });
      });
      try {
        // Later steps saw shared buffers: they still computed the right update.
        native.forEach((values, i) =>
          expect(errorRatio(values, cpu[i]!, ADAM_TOL), ['w', 'm', 'v', 'vmax'][i]).toBeLessThanOrEqual(1),
        );
        for (const [i, { before, tensors }] of kept.entries()) {
          for (const t of tensors) expect(Array.from(t.dataSync()), `snapshot ${i}`).toEqual(Array.from(before));
        }
        // The snapshots of different steps differ (the steps did change w and m).
        expect(Array.from(kept[0]!.before)).not.toEqual(Array.from(kept[2]!.before));
      } finally {
        tf.dispose(kept.flatMap((k) => k.tensors));
      }
    },
  );
});

/** `scales.length` steps of optimizer `make()` on `backend` from the same start; w and the slots' values. */
function optimizerSteps(
  backend: 'cpu' | 'native',
  make: () => TrainOptimizer,
  scales: number[],
  onStep?: (w: tf.Variable) => void,
) {
  tf.setBackend(backend);
  const w = tf.tidy(() => tf.variable(tf.tensor(randomValues(N, 1), SHAPE)));
  const opt = make();
  try {
    scales.forEach((scale, k) => {
      const g = tf.tensor(
        randomValues(N, 10 + k).map((x) => x * scale),
        SHAPE,
      );
      opt.applyGradients([g], [w], ['w']);
      g.dispose();
      onStep?.(w);
    });
    return [w.dataSync() as Float32Array, ...opt.getState().slots.map((s) => s.data)];
  } finally {
    w.dispose();
    opt.dispose();
    tf.setBackend('native');
  }
}

// RAdam is un-rectified (an SGD step on m̂) for t ≤ 4 and rectified from t = 5 (β2 = 0.999): 7 steps see both.
const optimizers: Array<[string, () => TrainOptimizer, number[], string[]]> = [
  ['sgd', () => new Sgd({ learningRate: 0.1, momentum: 0 }), [1, 0.2, 1.5], ['w']],
  ['sgd momentum 0.9', () => new Sgd({ learningRate: 0.1, momentum: 0.9 }), [1, 0.2, 1.5], ['w', 'momentum']],
  [
    'sgd nesterov',
    () => new Sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
    [1, 0.2, 1.5],
    ['w', 'momentum'],
  ],
  ['radam', () => new RAdam({ learningRate: 0.01 }), [1, 0.2, 1.5, 0.7, 1, 0.3, 2], ['w', 'm', 'v']],
];

describe.skipIf(!available)('native SGD (momentum, Nesterov) and RAdam (un-rectified and rectified steps)', () => {
  it.each(optimizers)(
    '%s: steps equal cpu, and a tf.clone taken before a step keeps its values',
    (_, make, scales, slots) => {
      const cpu = optimizerSteps('cpu', make, scales);
      resetFallbackCounts();
      const kept: Array<{ before: Float32Array; clone: tf.Tensor }> = [];
      const native = optimizerSteps('native', make, scales, (w) =>
        kept.push({ before: w.dataSync().slice() as Float32Array, clone: tf.clone(w) }),
      );
      try {
        expect(Object.fromEntries(fallbackCounts())).toEqual({});
        expect(native).toHaveLength(slots.length);
        native.forEach((values, i) => expect(errorRatio(values, cpu[i]!, ADAM_TOL), slots[i]).toBeLessThanOrEqual(1));
        expect(errorRatio(native[0]!, randomValues(N, 1), ADAM_TOL)).toBeGreaterThan(100);
        for (const { before, clone } of kept) expect(Array.from(clone.dataSync())).toEqual(Array.from(before));
      } finally {
        tf.dispose(kept.map((k) => k.clone));
      }
    },
  );
});

/**
 * The addon caches each filter's repacked (OIHW) copy per filter tensor; an in-place optimizer step
 * and freeing the filter must drop it. A stale copy would give the conv of the previous filter.
 */
describe.skipIf(!available)('native conv after its filter changes (packed-filter cache)', () => {
  const xs = randomValues(2 * 7 * 8 * 3, 5);
  const conv = (x: tf.Tensor4D, f: tf.Tensor4D, depthwise: boolean) =>
    depthwise ? tf.depthwiseConv2d(x, f, 1, 'same') : tf.conv2d(x, f, 1, 'same');
  /** conv(x, f) and its gradient wrt x, for a filter given by values (a fresh tensor: never cached). */
  const fresh = (values: Float32Array, shape: number[], depthwise: boolean) =>
    runOn('native', () => {
      const x = tf.tensor4d(xs, [2, 7, 8, 3]);
      const f = tf.tensor4d(values, shape as never);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, f, depthwise))))([x]);
      return [conv(x, f, depthwise), dx!];
    }).outputs.map((o) => Array.from(o.values));

  it.each([
    [false, 'adam'],
    [true, 'adam'],
    [false, 'sgd'],
    [true, 'sgd'],
  ] as const)(
    'an in-place step of the filter (depthwise %s, %s) is seen by the next conv and its input gradient',
    (depthwise, kind) => {
      tf.setBackend('native');
      const shape = depthwise ? [3, 3, 3, 2] : [3, 3, 3, 5];
      const f = tf.tidy(() =>
        tf.variable(
          tf.tensor4d(
            randomValues(
              shape.reduce((a, b) => a * b),
              6,
            ),
            shape as never,
          ),
        ),
      );
      const opt = kind === 'adam' ? new Adam({ learningRate: 0.05 }) : new Sgd({ learningRate: 0.05, momentum: 0 });
      const x = tf.tensor4d(xs, [2, 7, 8, 3]);
      try {
        const ids: object[] = [];
        for (let step = 0; step < 4; step++) {
          const [y, dx] = tf.tidy(() => {
            const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, f, depthwise))))([x]);
            return [conv(x, f, depthwise), g!];
          });
          expect([Array.from(y!.dataSync()), Array.from(dx!.dataSync())], `step ${step}`).toEqual(
            fresh(f.dataSync() as Float32Array, shape, depthwise),
          );
          tf.dispose([y!, dx!]);
          tf.tidy(() =>
            opt.applyGradients(
              [tf.grads((b: tf.Tensor) => tf.sum(conv(x, b as tf.Tensor4D, depthwise)))([f])[0]!],
              [f],
              ['f'],
            ),
          );
          ids.push(f.dataId);
        }
        // Adam's first step shares its fresh slots with their zeros (not in place); from then on the
        // updates were in place: the filter kept its buffer while its values changed.
        expect(new Set(ids.slice(1)).size).toBe(1);
      } finally {
        tf.dispose([f, x]);
        opt.dispose();
      }
    },
  );

  it("filters made and freed one after another never see each other's packed copy", () => {
    const shape = [3, 3, 3, 4];
    for (let i = 0; i < 20; i++) {
      const values = randomValues(108, 100 + i);
      const cpu = runOn('cpu', () =>
        tf.conv2d(tf.tensor4d(xs, [2, 7, 8, 3]), tf.tensor4d(values, shape as never), 1, 'same'),
      ).outputs[0]!;
      const native = runOn('native', () =>
        tf.conv2d(tf.tensor4d(xs, [2, 7, 8, 3]), tf.tensor4d(values, shape as never), 1, 'same'),
      ).outputs[0]!;
      expect(errorRatio(native.values, cpu.values, { atol: 3e-5, rtol: 1e-5 }), `filter ${i}`).toBeLessThanOrEqual(1);
    }
  });
});

/** conv 3×3 (4 channels) → BatchNormalization (fused training kernel) → relu → dense, on 8×8×3. */
function smallNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let y = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  y = new BatchNormalization({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe.skipIf(!available)('native memory over 1,000 training steps', () => {
  it('tf.memory().numTensors and libtorch live bytes are the same after step 20 and step 1,000', () => {
    tf.setBackend('native');
    const model = smallNet();
    const optimizer = new Adam({ learningRate: 1e-3 });
    const x = tf.tensor4d(randomValues(2 * 8 * 8 * 3, 3), [2, 8, 8, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const losses: number[] = [];
    const step = () => {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
          vars,
        );
        optimizer.applyGradients(
          vars.map((v) => grads[v.name]!),
          vars,
        );
        return value;
      });
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    };
    try {
      resetFallbackCounts();
      const at: Record<number, { tensors: number; native: { tensors: number; bytes: number } }> = {};
      for (let i = 1; i <= 1000; i++) {
        step();
        if (i === 20 || i === 1000) at[i] = { tensors: tf.memory().numTensors, native: nativeMemory() };
      }
      expect(at[1000]).toEqual(at[20]);
      // It trained (a leak-free loop that does nothing would pass the line above too).
      expect(losses[999]!).toBeLessThan(0.5 * losses[0]!);
      // The whole step ran natively (the BatchNormalization layer took the fused kernel).
      expect(Object.fromEntries(fallbackCounts())).toEqual({});
    } finally {
      tf.dispose([x, labels]);
      model.dispose();
      optimizer.dispose();
    }
  });
});

describe('MLC_PIPE_NATIVE=off hides the addon', () => {
  const saved = process.env.MLC_PIPE_NATIVE;
  afterEach(async () => {
    if (saved === undefined) delete process.env.MLC_PIPE_NATIVE;
    else process.env.MLC_PIPE_NATIVE = saved;
    if (available) await initEngine({ engine: 'native', threads: 1 });
  });

  it('auto picks another engine and says why native was skipped', async () => {
    process.env.MLC_PIPE_NATIVE = 'off';
    expect(loadAddon()).toEqual({ reason: 'hidden by MLC_PIPE_NATIVE=off' });
    const lines: string[] = [];
    const info = await initEngine({ engine: 'auto', log: (m) => lines.push(m) });
    expect(info.backend).not.toBe('native');
    expect(tf.getBackend()).toBe(info.backend);
    expect(info.reasons[0]).toBe('native: hidden by MLC_PIPE_NATIVE=off');
    expect(lines).toContain('  not native: hidden by MLC_PIPE_NATIVE=off');
    // The fallback engine computes.
    expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync()))).toEqual([2, 3]);
  });

  it('engine: native rejects with that reason', async () => {
    process.env.MLC_PIPE_NATIVE = 'off';
    const before = tf.getBackend();
    await expect(initEngine({ engine: 'native' })).rejects.toThrow(
      'engine native: no engine could start (native: hidden by MLC_PIPE_NATIVE=off)',
    );
    expect(tf.getBackend()).toBe(before);
  });
});
