/**
 * Native MatMul/BatchMatMul (transposes, batch broadcasting), _FusedMatMul (bias, every fused
 * activation), MaxPool/AvgPool and batch norm (tfjs' FusedBatchNorm, and the fused training
 * kernel of src/engine/ops/batch-norm-training/batch-norm-training.ts) against the cpu backend, forward and gradients of
 * L = Σ y·r. The training kernel has no cpu counterpart: cpu runs what tfjs-layers composes
 * (tf.moments, then tf.batchNorm), whose gradient includes the batch statistics' dependence on x.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import {
  batchNormTraining,
  batchNormTrainingAvailable,
} from '../../../src/engine/ops/batch-norm-training/batch-norm-training.ts';
import { BatchNormalization } from '../../../src/model/layers/batch-norm.ts';
import { randomValues, size } from '../helpers.ts';
import { available, errorRatio, expectNativeMatchesCpu, runOn, setupNative, type Tolerance } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

const t = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(
    randomValues(size(shape), seed).map((v) => v * scale),
    shape,
  );

// Sums of ≤ 15 products (7 forward, 3 or 5·3 in the gradients): 1e-5 of the largest value is ~100× the
// float32 rounding; a transposed or misbroadcast operand is off by O(1).
const MATMUL_TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };

/** `broadcast`: batch dims differ (tfjs' BatchMatMul gradient does not reduce them, on any backend: forward only). */
interface MatMulCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  broadcast?: boolean;
}
const matmuls: MatMulCase[] = [];
for (const ta of [false, true])
  for (const tb of [false, true]) {
    const [m, k, n] = [5, 7, 3];
    const shapeA = ta ? [k, m] : [m, k];
    const shapeB = tb ? [n, k] : [k, n];
    matmuls.push({ a: shapeA, b: shapeB, ta, tb });
    matmuls.push({ a: [3, ...shapeA], b: [3, ...shapeB], ta, tb });
    // Batch broadcasting: a's batch of 1 against b's batch of 2×3, and a rank-3 a against a rank-2 b.
    matmuls.push({ a: [1, ...shapeA], b: [2, 3, ...shapeB], ta, tb, broadcast: true });
    matmuls.push({ a: [4, ...shapeA], b: shapeB, ta, tb, broadcast: true });
  }

function outShape(c: MatMulCase): number[] {
  const batchA = c.a.slice(0, -2);
  const batchB = c.b.slice(0, -2);
  const batch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  return [...batch, c.ta ? c.a.at(-1)! : c.a.at(-2)!, c.tb ? c.b.at(-2)! : c.b.at(-1)!];
}

const matLabel = (c: MatMulCase) => `[${c.a}]${c.ta ? 'ᵀ' : ''} × [${c.b}]${c.tb ? 'ᵀ' : ''}`;

describe.skipIf(!available)('native MatMul / BatchMatMul and gradients', () => {
  it.each(matmuls.map((c) => [matLabel(c), c] as const))('match cpu: %s', (_, c) => {
    const shape = outShape(c);
    const { native } = expectNativeMatchesCpu(() => {
      const a = t(c.a, 1);
      const b = t(c.b, 2);
      const r = t(shape, 3);
      if (c.broadcast) return tf.matMul(a, b, c.ta, c.tb);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, c.ta, c.tb), r)))([a, b]);
      return [tf.matMul(a, b, c.ta, c.tb), ...grads];
    }, MATMUL_TOL);
    expect(native.map((o) => o.shape)).toEqual(c.broadcast ? [shape] : [shape, c.a, c.b]);
  });
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'] as const;
const fusedMatmuls = ACTIVATIONS.flatMap((act, i) => {
  const c = matmuls[(i % 4) * 4]!; // the rank-2 cases, all four transpose combinations
  return [[`${matLabel(c)} bias + ${act}`, c, act] as const];
});

describe.skipIf(!available)('native _FusedMatMul (bias, activation) and gradients', () => {
  it.each(fusedMatmuls)('match cpu: %s', (_, c, activation) => {
    const shape = outShape(c);
    const units = shape.at(-1)!;
    const { native, cpu } = expectNativeMatchesCpu(() => {
      const a = t(c.a, 4);
      const b = t(c.b, 5);
      const bias = t([units], 6);
      const r = t(shape, 7);
      const prelu = activation === 'prelu' ? t([units], 8, 0.5) : undefined;
      const y = (x: tf.Tensor, w: tf.Tensor, s: tf.Tensor) =>
        tf.fused.matMul({
          a: x as tf.Tensor2D,
          b: w as tf.Tensor2D,
          transposeA: c.ta,
          transposeB: c.tb,
          bias: s,
          activation,
          preluActivationWeights: prelu,
          leakyreluAlpha: 0.3,
        });
      const grads = tf.grads((x: tf.Tensor, w: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(y(x, w, s), r)))([a, b, bias]);
      return [y(a, b, bias), ...grads];
    }, MATMUL_TOL);
    expect(native.map((o) => o.shape)).toEqual([shape, c.a, c.b, [units]]);
    const min = Math.min(...cpu[0]!.values);
    if (activation === 'relu' || activation === 'relu6' || activation === 'sigmoid')
      expect(min).toBeGreaterThanOrEqual(0);
    else expect(min).toBeLessThan(0);
  });
});

interface PoolCase {
  n: number;
  k: number;
  s: number;
  pad: 'same' | 'valid';
}
const pools: PoolCase[] = [];
for (const n of [1, 3])
  for (const k of [2, 3])
    for (const s of [1, 2]) for (const pad of ['same', 'valid'] as const) pools.push({ n, k, s, pad });

// 11×12×5 inputs: 'same' pads k2 s1, k2 s2 on the odd height and k3 s2 on the even width
// asymmetrically, k3 s1 symmetrically. Pooling is exact (max) or a mean of ≤ 9 values.
const POOL_SHAPE = [11, 12, 5];
const poolLabel = (c: PoolCase) => `n${c.n} ${POOL_SHAPE.join('x')} k${c.k} s${c.s} ${c.pad}`;

/**
 * The gradient of Σ avgPool(x)·r computed directly: each output cell spreads r over the input
 * cells of its window that are not padding, divided by their count (tfjs' forward divides by that
 * count). Independent of every backend's AvgPoolGrad.
 */
function avgPoolGradReference(
  xShape: number[],
  info: ReturnType<typeof tf.backend_util.computePool2DInfo>,
  r: Float32Array,
): Float32Array {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < info.outHeight; oy++)
      for (let ox = 0; ox < info.outWidth; ox++) {
        const y0 = oy * info.strideHeight - info.padInfo.top;
        const x0 = ox * info.strideWidth - info.padInfo.left;
        const ys = [...Array(info.filterHeight).keys()].map((i) => y0 + i).filter((y) => y >= 0 && y < h);
        const xs = [...Array(info.filterWidth).keys()].map((i) => x0 + i).filter((x) => x >= 0 && x < w);
        for (let ch = 0; ch < c; ch++) {
          const share = r[((b * info.outHeight + oy) * info.outWidth + ox) * c + ch]! / (ys.length * xs.length);
          for (const y of ys) for (const x of xs) dx[((b * h + y) * w + x) * c + ch] += share;
        }
      }
  return dx;
}

describe.skipIf(!available)('native MaxPool / AvgPool and gradients', () => {
  const setup = (c: PoolCase) => {
    const xShape = [c.n, ...POOL_SHAPE];
    const info = tf.backend_util.computePool2DInfo(xShape as never, c.k, c.s, 1, c.pad);
    return { xShape, info, r: randomValues(size(info.outShape), 12) };
  };
  const program =
    (kind: 'maxPool' | 'avgPool', c: PoolCase, xShape: number[], r: Float32Array, info: { outShape: number[] }) =>
    () => {
      const x = t(xShape, 11) as tf.Tensor4D;
      const pool = (v: tf.Tensor) => tf[kind](v as tf.Tensor4D, c.k, c.s, c.pad);
      const [dx] = tf.grads((v: tf.Tensor) => tf.sum(tf.mul(pool(v), tf.tensor(r, info.outShape))))([x]);
      return [pool(x), dx!];
    };

  it.each(pools.map((c) => [poolLabel(c), c] as const))('maxPool matches cpu: %s', (_, c) => {
    const { xShape, info, r } = setup(c);
    const { native } = expectNativeMatchesCpu(program('maxPool', c, xShape, r, info), { atol: 1e-6, rtol: 1e-6 });
    expect(native.map((o) => o.shape)).toEqual([info.outShape, xShape]);
  });

  // tfjs' cpu AvgPoolGrad divides by the full window area even where the forward divided by the
  // count of real cells ('same' borders), so its gradient is not the forward's: the gradient is
  // checked against the direct computation instead, and that against cpu where they agree ('valid').
  it.each(pools.map((c) => [poolLabel(c), c] as const))(
    'avgPool matches cpu, its gradient the direct computation: %s',
    (_, c) => {
      const { xShape, info, r } = setup(c);
      const run = program('avgPool', c, xShape, r, info);
      const { native } = expectNativeMatchesCpu(() => run()[0]!, { atol: 1e-6, rtol: 1e-6 });
      expect(native[0]!.shape).toEqual(info.outShape);
      const want = avgPoolGradReference(xShape, info, r);
      const got = runOn('native', () => run()[1]!);
      expect(got.fallbacks).toEqual({});
      expect(got.outputs[0]!.shape).toEqual(xShape);
      expect(errorRatio(got.outputs[0]!.values, want, { atol: 1e-6, rtol: 1e-6 })).toBeLessThanOrEqual(1);
      if (c.pad === 'valid')
        expect(
          errorRatio(runOn('cpu', () => run()[1]!).outputs[0]!.values, want, { atol: 1e-6, rtol: 1e-6 }),
        ).toBeLessThanOrEqual(1);
    },
  );
});

// Batch norm: 4-D and 2-D inputs, channels 5 and 7; statistics, scale and offset per channel.
// One pass per element (y = x·a + b): rounding ~1e-7; the gradients (tfjs composes them from
// Sub/Mul/Rsqrt/Sum) sum ≤ 396 terms per channel.
const BN_TOL: Tolerance = { atol: 2e-5, rtol: 1e-5 };
const bnShapes = [
  [3, 11, 12, 5],
  [1, 11, 12, 7],
  [9, 7],
];

// tfjs' FusedBatchNorm gradient needs both offset and scale (without either it fails on cpu too):
// the other combinations are checked forward only.
describe.skipIf(!available)('native FusedBatchNorm (tf.batchNorm) and gradients', () => {
  const cases = bnShapes.flatMap((shape) =>
    [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ].map(([offset, scale]) => [`[${shape}] offset ${offset} scale ${scale}`, shape, offset, scale] as const),
  );
  it.each(cases)('matches cpu: %s', (_, shape, withOffset, withScale) => {
    const c = shape.at(-1)!;
    const both = withOffset && withScale;
    const { native } = expectNativeMatchesCpu(() => {
      const x = t(shape, 21, 2);
      const mean = t([c], 22, 0.5);
      const variance = tf.add(tf.abs(t([c], 23)), 0.1);
      const offset = withOffset ? t([c], 24) : undefined;
      const scale = withScale ? t([c], 25) : undefined;
      const y = tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
      if (!both) return y;
      const r = t(shape, 26);
      const grads = tf.grads((v: tf.Tensor, m: tf.Tensor, s2: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(v, m, s2, o, s, 1e-3), r)),
      )([x, mean, variance, offset!, scale!]);
      return [y, ...grads];
    }, BN_TOL);
    expect(native.map((o) => o.shape)).toEqual(both ? [shape, shape, [c], [c], [c], [c]] : [shape]);
  });

  it('broadcasts rank-4 statistics ([1, 1, 1, C]) like cpu', () => {
    expectNativeMatchesCpu(
      () =>
        tf.batchNorm(
          t([3, 4, 5, 6], 27),
          t([1, 1, 1, 6], 28),
          tf.add(tf.abs(t([1, 1, 1, 6], 29)), 0.1),
          t([1, 1, 1, 6], 30),
          t([1, 1, 1, 6], 31),
          1e-3,
        ),
      BN_TOL,
    );
  });
});

/**
 * batchNormTraining on native (one kernel forward, one backward) against the composition
 * tfjs-layers uses on every other backend; y, batch mean, biased batch variance and the gradients
 * of Σ y·r wrt x, γ and β. The composed dx is a near-cancelling sum (N·dy − Σdy − x̂·Σdy·x̂), so
 * its floor is 2e-5 of the largest value (observed: ~1e-6); a variance with N−1 instead of N is off
 * by 1/N ≥ 0.25% here.
 */
describe.skipIf(!available)('native batchNormTraining against tf.moments + tf.batchNorm on cpu', () => {
  const EPS = 1e-3;
  it.each([[[3, 11, 12, 5]], [[1, 11, 12, 7]], [[2, 3, 4, 3]], [[9, 7]]])('matches cpu: [%s]', (shape) => {
    const c = shape.at(-1)!;
    const axes = shape.slice(0, -1).map((_, i) => i);
    const { native } = expectNativeMatchesCpu(
      () => {
        // Channels with different means and spreads, so that a wrong axis or a skipped mean shows.
        const x = tf.add(tf.mul(t(shape, 41), t([c], 42, 3)), t([c], 43, 2));
        const gamma = t([c], 44);
        const beta = t([c], 45);
        const r = t(shape, 46);
        const forward = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          if (tf.getBackend() === 'native') {
            expect(batchNormTrainingAvailable()).toBe(true);
            return batchNormTraining(v, g, b, EPS);
          }
          const { mean, variance } = tf.moments(v, axes);
          return { y: tf.batchNorm(v, mean, variance, b, g, EPS), mean, variance };
        };
        const { y, mean, variance } = forward(x, gamma, beta);
        const grads = tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(v, g, b).y, r)))([
          x,
          gamma,
          beta,
        ]);
        return [y, mean, variance, ...grads];
      },
      { atol: 2e-5, rtol: 1e-5 },
    );
    expect(native.map((o) => o.shape)).toEqual([shape, [c], [c], shape, [c], [c]]);
  });
});

/**
 * The BatchNormalization layer (src/model/layers/batch-norm.ts) takes the fused kernel on native
 * in training and tfjs-layers' composition on cpu: the same output and the same moving mean and
 * variance after two training calls (the kernel's variance comes back from its inverse std), and
 * the same inference output from those statistics.
 */
describe.skipIf(!available)('native BatchNormalization layer against the stock layer on cpu', () => {
  it.each([[[3, 11, 12, 5]], [[9, 7]]])(
    'training output, moving statistics and inference output match: [%s]',
    (shape) => {
      const c = shape.at(-1)!;
      const { native } = expectNativeMatchesCpu(
        () => {
          if (tf.getBackend() === 'native') expect(batchNormTrainingAvailable()).toBe(true);
          const layer = new BatchNormalization({ momentum: 0.8, epsilon: 1e-3 });
          const x = tf.add(tf.mul(t(shape, 51), t([c], 52, 3)), t([c], 53, 2));
          layer.apply(x, { training: true });
          const y = layer.apply(tf.mul(x, 0.5), { training: true }) as tf.Tensor;
          const [gamma, beta, movingMean, movingVariance] = layer.getWeights();
          const inference = layer.apply(x, { training: false }) as tf.Tensor;
          const out = [y, movingMean!.clone(), movingVariance!.clone(), inference, gamma!.clone(), beta!.clone()];
          layer.dispose();
          return out;
        },
        { atol: 2e-5, rtol: 1e-5 },
      );
      expect(native.map((o) => o.shape)).toEqual([shape, [c], [c], shape, [c], [c]]);
      // The statistics moved away from their initial 0 and 1.
      expect(Math.min(...Array.from(native[2]!.values, (v) => Math.abs(v - 1)))).toBeGreaterThan(1e-3);
    },
  );

  // On native the moving statistics are written in place by one addon call (updateMovingStatistics):
  // the variables keep their buffers. A tensor sharing a variable's buffer (a clone) must keep the
  // old values: then both statistics are updated by new tensors instead, to the same values.
  it.each([false, true])(
    'moving statistics update in place, and a clone of them keeps its values (clone held: %s)',
    (holdClone) => {
      tf.setBackend('native');
      const layer = new BatchNormalization({ momentum: 0.7, epsilon: 1e-3 });
      const x = t([2, 5, 4, 3], 61, 2);
      layer.apply(x, { training: true });
      const weights = layer.weights.filter((w) => w.name.includes('moving'));
      const [mean0, var0] = layer
        .getWeights()
        .slice(2)
        .map((w) => w.dataSync().slice() as Float32Array);
      const ids = weights.map((w) => w.read().dataId);
      const held = holdClone ? layer.getWeights()[2]!.clone() : null;
      const batch = tf.moments(x, [0, 1, 2]);
      layer.apply(x, { training: true });
      const [mean1, var1] = layer
        .getWeights()
        .slice(2)
        .map((w) => w.dataSync() as Float32Array);
      const want = (old: Float32Array, b: Float32Array) => old.map((o, i) => o - (o - b[i]!) * 0.3);
      expect(errorRatio(mean1!, want(mean0!, batch.mean.dataSync() as Float32Array))).toBeLessThanOrEqual(1);
      // The moving variance takes the unbiased batch variance (n = 2·5·4 = 40 values per channel).
      const unbiased = (batch.variance.dataSync() as Float32Array).map((v) => (v * 40) / 39);
      expect(errorRatio(var1!, want(var0!, unbiased), { atol: 1e-5, rtol: 1e-4 })).toBeLessThanOrEqual(1);
      expect(weights.map((w, i) => w.read().dataId === ids[i])).toEqual(holdClone ? [false, false] : [true, true]);
      if (held) expect(Array.from(held.dataSync())).toEqual(Array.from(mean0!));
      tf.dispose([x, batch.mean, batch.variance, ...(held ? [held] : [])]);
      layer.dispose();
    },
  );

  // A variable whose buffer a view shares (tfjs counts one reference, the addon sees the shared
  // storage): the addon returns the new values instead of writing, the layer writes them, and the
  // tensor the view came from keeps its values.
  it("a moving statistic viewing another tensor's buffer gets new values, and that tensor keeps its own", () => {
    tf.setBackend('native');
    const layer = new BatchNormalization({ momentum: 0.7, epsilon: 1e-3 });
    const x = t([2, 5, 4, 3], 62, 2);
    layer.apply(x, { training: true });
    const base = tf.tensor2d([[0.5, -1, 2]]);
    const view = base.reshape([3]);
    const [gamma, beta, , movingVariance] = layer.getWeights();
    layer.setWeights([gamma!, beta!, view, movingVariance!]);
    view.dispose();
    const [mean0, var0] = layer
      .getWeights()
      .slice(2)
      .map((w) => w.dataSync().slice() as Float32Array);
    const batch = tf.moments(x, [0, 1, 2]);
    layer.apply(x, { training: true });
    const [mean1, var1] = layer
      .getWeights()
      .slice(2)
      .map((w) => w.dataSync() as Float32Array);
    const want = (old: Float32Array, b: Float32Array) => old.map((o, i) => o - (o - b[i]!) * 0.3);
    expect(errorRatio(mean1!, want(mean0!, batch.mean.dataSync() as Float32Array))).toBeLessThanOrEqual(1);
    // The moving variance takes the unbiased batch variance (n = 2·5·4 = 40 values per channel).
    const unbiased = (batch.variance.dataSync() as Float32Array).map((v) => (v * 40) / 39);
    expect(errorRatio(var1!, want(var0!, unbiased), { atol: 1e-5, rtol: 1e-4 })).toBeLessThanOrEqual(1);
    expect(Array.from(base.dataSync())).toEqual([0.5, -1, 2]);
    tf.dispose([x, base, batch.mean, batch.variance]);
    layer.dispose();
  });
});
