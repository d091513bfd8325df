/**
 * The fused head cross-entropy (src/engine/ops/cross-entropy/cross-entropy.ts, native/src/loss.cc) on native against
 * the composed tfjs formula of src/train/losses/crossentropy.ts on the cpu backend (which has no
 * fused kernel), for both native implementations (the CPU loop and the ATen ops of other devices): loss and gradient wrt the logits over a grid of head kinds, batch sizes, masks,
 * class and sample weights and label smoothing; a finite-difference check of the native gradient;
 * masked rows holding NaN/±Inf; large logits; the kernel calls of one value+gradient; and flat
 * tensor counts and native bytes over repeated calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import {
  CROSS_ENTROPY,
  fusedCrossEntropy,
  fusedCrossEntropyAvailable,
} from '../../../src/engine/ops/cross-entropy/cross-entropy.ts';
import { nativeMemory } from '../../../src/engine/native/backend.ts';
import { CrossEntropy } from '../../../src/train/losses/crossentropy.ts';
import type { HeadInfo } from '../../../src/train/losses/base.ts';
import { randomValues } from '../helpers.ts';
import { available, expectNativeMatchesCpu, setupNative, type Tolerance } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

type Mask = 'none' | 'some' | 'all';
type Weights = 'none' | 'class' | 'sample' | 'both';
interface Case {
  k: number;
  n: number;
  mask: Mask;
  weights: Weights;
  eps: number;
  scale: number;
}

const head = (c: Pick<Case, 'k' | 'weights'>): HeadInfo => {
  const classes = c.k === 1 ? 2 : c.k;
  const classWeights =
    c.weights === 'class' || c.weights === 'both'
      ? Array.from({ length: classes }, (_, i) => 0.5 + 0.75 * i)
      : undefined;
  return { kind: c.k === 1 ? 'sigmoid' : 'softmax', units: c.k, classWeights };
};

/** Labels in range, -1 on every third row ('some', row 1, 4, …) or on all rows. */
function labelsOf(c: Case): number[] {
  const classes = c.k === 1 ? 2 : c.k;
  return Array.from({ length: c.n }, (_, i) =>
    c.mask === 'all' || (c.mask === 'some' && i % 3 === 1) ? -1 : (i * 5 + 2) % classes,
  );
}

function inputs(c: Case) {
  const z = tf.tensor2d(
    randomValues(c.n * c.k, c.n * 31 + c.k).map((v) => v * 3 * c.scale),
    [c.n, c.k],
  );
  const labels = tf.tensor1d(labelsOf(c), 'int32');
  const sw =
    c.weights === 'sample' || c.weights === 'both'
      ? tf.tensor1d(randomValues(c.n, 7).map((v) => 0.6 + 0.4 * v))
      : undefined;
  return { z, labels, sw };
}

/**
 * The native kernel's two implementations: `loop` (CPU: one pass over the rows) and `aten` (ATen
 * tensor ops, what non-CPU devices run).
 */
type Path = 'loop' | 'aten';

/** One head's loss through the product's CrossEntropy.call (the `aten` path calls the op directly on native). */
function headLoss(
  path: Path,
  eps: number,
  z: tf.Tensor,
  labels: tf.Tensor1D,
  h: HeadInfo,
  sw?: tf.Tensor1D,
): tf.Scalar {
  if (path === 'aten' && tf.getBackend() === 'native') {
    return fusedCrossEntropy(z as tf.Tensor2D, labels, {
      softmax: h.kind === 'softmax',
      labelSmoothing: eps,
      classWeights: h.classWeights,
      sampleWeights: sw,
      atenOps: true,
    });
  }
  return new CrossEntropy({ labelSmoothing: eps }).call(z as tf.Tensor2D, labels, h, sw);
}

/** The loss and its gradient wrt the logits. */
function lossAndGrad(c: Case, path: Path): tf.Tensor[] {
  if (tf.getBackend() === 'native') expect(fusedCrossEntropyAvailable(), 'the fused kernel on native').toBe(true);
  else expect(fusedCrossEntropyAvailable(), 'cpu runs the composed formula').toBe(false);
  const { z, labels, sw } = inputs(c);
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => headLoss(path, c.eps, x, labels, head(c), sw))(z);
  return [value, grad];
}

const cases: Case[] = [];
for (const k of [1, 2, 3, 7])
  for (const n of [1, 5])
    for (const mask of ['none', 'some', 'all'] as Mask[]) {
      if (n === 1 && mask === 'some') continue;
      for (const weights of ['none', 'class', 'sample', 'both'] as Weights[])
        for (const eps of [0, 0.1]) cases.push({ k, n, mask, weights, eps, scale: 1 });
    }
// Large logits: log-probabilities stay finite (no log(0), no exp overflow) and agree with cpu's.
for (const k of [1, 3])
  for (const scale of [50 / 3, 1e4 / 3])
    for (const eps of [0, 0.1]) cases.push({ k, n: 5, mask: 'some', weights: 'both', eps, scale });

const label = (c: Case) =>
  `${c.k === 1 ? 'sigmoid' : `softmax K=${c.k}`} N=${c.n} masked=${c.mask} weights=${c.weights} ε=${c.eps}${c.scale !== 1 ? ` |z|≤${Math.round(3 * c.scale)}` : ''}`;

// Sums of ≤ 7 terms of float32 logs and exps: 1e-5 of the largest value is ~100× their rounding;
// a wrong target, mask or weight is off by O(1). |z| ~ 1e4 loses ~1e-3 of a logit to rounding in
// either formula, so the loss (O(|z|)) gets a wider relative bound there.
const tolOf = (c: Case): Tolerance => (c.scale > 100 ? { atol: 1e-5, rtol: 1e-4 } : { atol: 1e-5, rtol: 1e-5 });

const PATHS: Path[] = ['loop', 'aten'];

describe.skipIf(!available)('fused cross-entropy on native against the composed formula on cpu', () => {
  it.each(PATHS.flatMap((path) => cases.map((c) => [path, label(c), c] as const)))('%s: %s', (path, _, c) => {
    const { native } = expectNativeMatchesCpu(() => lossAndGrad(c, path), tolOf(c));
    for (const o of native) expect(Array.from(o.values).every(Number.isFinite), 'finite loss and gradient').toBe(true);
    expect(native[1]!.shape).toEqual([c.n, c.k]);
    if (c.mask === 'all') {
      expect(native[0]!.values[0]).toBe(0);
      expect(Array.from(native[1]!.values).every((v) => v === 0)).toBe(true);
    } else {
      expect(native[0]!.values[0]).toBeGreaterThan(0);
    }
  });

  it('gradient matches central finite differences of the native loss', () => {
    const c: Case = { k: 3, n: 5, mask: 'some', weights: 'both', eps: 0.1, scale: 1 };
    const h = head(c);
    const loss = new CrossEntropy({ labelSmoothing: c.eps });
    const { z, labels, sw } = inputs(c);
    try {
      const at = (values: Float32Array) =>
        tf.tidy(() => loss.call(tf.tensor2d(values, [c.n, c.k]), labels, h, sw).dataSync()[0]!);
      const grad = tf.tidy(
        () =>
          tf
            .grad((x: tf.Tensor) => loss.call(x as tf.Tensor2D, labels, h, sw))(z)
            .dataSync() as Float32Array,
      );
      const base = z.dataSync() as Float32Array;
      const step = 1e-2;
      base.forEach((_, i) => {
        const up = base.slice();
        const dn = base.slice();
        up[i]! += step;
        dn[i]! -= step;
        const fd = (at(up) - at(dn)) / (2 * step);
        // Truncation h²·f‴/6 and float32 rounding of the loss (~1e-7/h) are both < 1e-4.
        expect(Math.abs(grad[i]! - fd), `element ${i}: ${grad[i]} vs ${fd}`).toBeLessThan(2e-4);
      });
      // Masked row 1 has no gradient at all.
      expect(Array.from(grad.subarray(c.k, 2 * c.k))).toEqual([0, 0, 0]);
    } finally {
      tf.dispose([z, labels, ...(sw ? [sw] : [])]);
    }
  });

  it.each(
    PATHS.flatMap(
      (path) =>
        [
          [path, 'sigmoid', 1],
          [path, 'softmax', 4],
        ] as const,
    ),
  )('%s: %s: a masked row with NaN/±Inf logits adds nothing to the loss or the gradient', (path, _, k) => {
    const c = { k, weights: 'class' as Weights };
    const loss = { call: (x: tf.Tensor2D, l: tf.Tensor1D, h: HeadInfo) => headLoss(path, 0.1, x, l, h) };
    const clean = randomValues(3 * k, 3).map((v) => v * 2);
    const [cleanLoss, cleanGrad] = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) =>
        loss.call(x as tf.Tensor2D, tf.tensor1d([0, 1], 'int32'), head(c)),
      )(tf.tensor2d(clean.slice(0, 2 * k), [2, k]));
      return [value.dataSync()[0]!, grad.dataSync() as Float32Array];
    });
    for (const bad of [NaN, Infinity, -Infinity, 1e30]) {
      const z = clean.slice();
      z.fill(bad, 2 * k);
      if (k > 1) z[2 * k] = -bad; // a row mixing +Inf and -Inf
      const [v, g] = tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) =>
          loss.call(x as tf.Tensor2D, tf.tensor1d([0, 1, -1], 'int32'), head(c)),
        )(tf.tensor2d(z, [3, k]));
        return [value.dataSync()[0]!, grad.dataSync() as Float32Array];
      });
      expect(v, `loss with a masked row of ${bad}`).toBe(cleanLoss);
      expect(Array.from(g), `gradient with a masked row of ${bad}`).toEqual([
        ...Array.from(cleanGrad),
        ...new Array(k).fill(0),
      ]);
    }
  });

  it.each(PATHS)('%s: a label outside the head is an error naming the range', (path) => {
    const loss = { call: (x: tf.Tensor2D, l: tf.Tensor1D, h: HeadInfo) => headLoss(path, 0, x, l, h) };
    expect(() =>
      tf.tidy(() =>
        loss.call(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 3], 'int32'), { kind: 'softmax', units: 3 }),
      ),
    ).toThrow(/cross-entropy: a label is ≥ 3, the head's class count/);
    expect(() =>
      tf.tidy(() =>
        loss.call(tf.zeros([2, 1]) as tf.Tensor2D, tf.tensor1d([2, 0], 'int32'), { kind: 'sigmoid', units: 1 }),
      ),
    ).toThrow(/cross-entropy: a label is ≥ 2, the head's binary range/);
  });

  it('one value+gradient is one loss kernel forward and one multiply backward', async () => {
    const loss = new CrossEntropy({ labelSmoothing: 0.1 });
    const z = tf.tensor2d(randomValues(8, 5), [8, 1]);
    const labels = tf.tensor1d([0, 1, -1, 1, 0, 0, 1, -1], 'int32');
    try {
      const info = await tf.profile(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) =>
          loss.call(x as tf.Tensor2D, labels, { kind: 'sigmoid', units: 1, classWeights: [1, 3] }),
        )(z);
        tf.dispose([value, grad]);
      });
      // The forward kernel and the multiply by dy: the tape saves the kernel's gradient output
      // (a shared buffer on native, no kernel) and seeds dy = 1 without one.
      expect(info.kernels.map((kr) => kr.name)).toEqual([CROSS_ENTROPY, 'Multiply']);
    } finally {
      tf.dispose([z, labels]);
    }
  });

  it('tensor count and native bytes stay flat over 300 value+gradient calls', () => {
    const loss = new CrossEntropy({ labelSmoothing: 0.1 });
    const z = tf.variable(tf.tensor2d(randomValues(21, 9), [7, 3]));
    const labels = tf.tensor1d([0, 2, -1, 1, 1, -1, 0], 'int32');
    const sw = tf.tensor1d([1, 0.5, 1, 0.25, 1, 1, 0.75]);
    const h: HeadInfo = { kind: 'softmax', units: 3, classWeights: [1, 2, 0.5] };
    const call = () => {
      const { value, grads } = tf.variableGrads(() => loss.call(z, labels, h, sw), [z]);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    try {
      for (let i = 0; i < 5; i++) call();
      const tensors = tf.memory().numTensors;
      const before = nativeMemory();
      for (let i = 0; i < 300; i++) call();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(nativeMemory()).toEqual(before);
    } finally {
      tf.dispose([z, labels, sw]);
    }
  });
});
