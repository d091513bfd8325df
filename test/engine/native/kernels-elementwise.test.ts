/**
 * Native elementwise, reduction and shape kernels against the cpu backend: unary math on inputs
 * in each op's domain (plus the edge values tfjs defines: halves for Round, 0 for Sign, NaN/±Inf
 * for the predicates), binary ops with broadcasting, comparisons (bool), Cast, Select, the
 * activations and their gradients, AddN; Sum/Mean/Max/Min/Prod/Any/All/ArgMax/ArgMin over axes;
 * Concat, Slice, Pad, Transpose, Tile, Split, Stack/Unstack, Reverse, Gather, OneHot, Fill, Range
 * and Reshape. Exact for int32/bool outputs; floats within a few ulps (cpu computes transcendentals
 * in float64 and rounds, ATen in float32 vector code, ~1 ulp).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import { randomValues, size } from '../helpers.ts';
import { available, expectNativeMatchesCpu, runOn, setupNative, type Tolerance } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

const ULPS: Tolerance = { atol: 1e-6, rtol: 4e-6 };

/** Values in [lo, hi). */
const uniform = (shape: number[], seed: number, lo = -1, hi = 1) =>
  tf.tensor(
    randomValues(size(shape), seed).map((v) => lo + ((v + 1) / 2) * (hi - lo)),
    shape,
  );
const ints = (shape: number[], seed: number, lo: number, hi: number) =>
  tf.tensor(
    Int32Array.from(randomValues(size(shape), seed), (v) => lo + Math.floor(((v + 1) / 2) * (hi - lo))),
    shape,
    'int32',
  );
const bools = (shape: number[], seed: number) =>
  tf.tensor(
    Uint8Array.from(randomValues(size(shape), seed), (v) => (v > 0 ? 1 : 0)),
    shape,
    'bool',
  );

const SHAPE = [3, 4, 5];
const EDGES = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 6, -6];
/** Random values in [lo, hi) with the edge values inside the domain prepended. */
const withEdges = (lo: number, hi: number, seed: number) =>
  tf.concat([tf.tensor1d(EDGES.filter((v) => v >= lo && v < hi)), uniform([size(SHAPE)], seed, lo, hi)]);

const unary: Array<[string, (x: tf.Tensor) => tf.Tensor, number, number]> = [
  ['abs', tf.abs, -3, 3],
  ['neg', tf.neg, -3, 3],
  ['exp', tf.exp, -5, 5],
  ['log', tf.log, 0.01, 10],
  ['log1p', tf.log1p, -0.99, 5],
  ['sqrt', tf.sqrt, 0, 10],
  ['rsqrt', tf.rsqrt, 0.01, 10],
  ['square', tf.square, -3, 3],
  ['relu', tf.relu, -3, 3],
  ['relu6', tf.relu6, -8, 8],
  ['sigmoid', tf.sigmoid, -8, 8],
  ['tanh', tf.tanh, -4, 4],
  ['softplus', tf.softplus, -10, 10],
  ['sign', tf.sign, -3, 3],
  ['floor', tf.floor, -4, 4],
  ['ceil', tf.ceil, -4, 4],
  ['round', tf.round, -4, 4],
  ['reciprocal', tf.reciprocal, 0.1, 5],
  ['elu', tf.elu, -4, 4],
  ['erf', tf.erf, -3, 3],
  ['sin', tf.sin, -6, 6],
  ['cos', tf.cos, -6, 6],
  ['expm1', tf.expm1, -3, 3],
  ['selu', tf.selu, -4, 4],
  ['atan', tf.atan, -5, 5],
  ['zerosLike', tf.zerosLike, -1, 1],
  ['onesLike', tf.onesLike, -1, 1],
];

describe.skipIf(!available)('native unary ops', () => {
  it.each(unary.map(([name, op, lo, hi]) => [name, op, lo, hi] as const))('%s matches cpu', (_, op, lo, hi) => {
    const { native } = expectNativeMatchesCpu(
      () => op(tf.reshape(withEdges(lo, hi, 1).slice(0, size(SHAPE)), SHAPE)),
      ULPS,
    );
    expect(native[0]).toMatchObject({ dtype: 'float32', shape: SHAPE });
  });

  it('round takes halves to even and sign gives 0 at ±0 (explicit values)', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = tf.tensor1d([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 0, -0]);
      return [tf.round(x), tf.sign(x)];
    });
    expect(Array.from(native[0]!.values)).toEqual([0, 2, 2, -0, -2, -2, 0, 0, -0]);
    expect(Array.from(native[1]!.values).map(Math.abs)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it.each([
    ['abs', tf.abs],
    ['neg', tf.neg],
    ['sign', tf.sign],
    ['square', tf.square],
    ['relu', tf.relu],
  ] as const)('%s keeps int32', (_, op) => {
    const { native } = expectNativeMatchesCpu(() => op(ints(SHAPE, 2, -20, 20)));
    expect(native[0]!.dtype).toBe('int32');
  });

  it('isNaN / isInf / isFinite / logicalNot give bool', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = tf.tensor1d([NaN, Infinity, -Infinity, 0, -1.5, 3]);
      return [tf.isNaN(x), tf.isInf(x), tf.isFinite(x), tf.logicalNot(bools([7], 3))];
    });
    expect(native.map((o) => o.dtype)).toEqual(['bool', 'bool', 'bool', 'bool']);
    expect(Array.from(native[0]!.values)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(Array.from(native[1]!.values)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(Array.from(native[2]!.values)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

// Broadcasting pairs: trailing vector, two stretched axes, a one-element tensor, a scalar, equal shapes.
const PAIRS: Array<[number[], number[]]> = [
  [[3, 4, 5], [5]],
  [
    [3, 1, 5],
    [4, 1],
  ],
  [[1], [3, 4]],
  [[], [3, 4]],
  [
    [2, 3],
    [2, 3],
  ],
];
const binary: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, [number, number], [number, number]]> = [
  ['add', tf.add, [-3, 3], [-3, 3]],
  ['sub', tf.sub, [-3, 3], [-3, 3]],
  ['mul', tf.mul, [-3, 3], [-3, 3]],
  ['div', tf.div, [-3, 3], [0.5, 3]],
  ['maximum', tf.maximum, [-3, 3], [-3, 3]],
  ['minimum', tf.minimum, [-3, 3], [-3, 3]],
  ['pow', tf.pow, [0.1, 3], [-2, 2]],
  ['squaredDifference', tf.squaredDifference, [-3, 3], [-3, 3]],
  ['floorDiv', tf.floorDiv, [-9, 9], [0.5, 3]],
  ['mod', tf.mod, [-9, 9], [0.5, 3]],
  ['atan2', tf.atan2, [-3, 3], [-3, 3]],
];

describe.skipIf(!available)('native binary ops with broadcasting', () => {
  const cases = binary.flatMap(([name, op, ra, rb]) =>
    PAIRS.map(([sa, sb]) => [`${name} [${sa}] [${sb}]`, op, ra, rb, sa, sb] as const),
  );
  it.each(cases)('%s matches cpu', (_, op, ra, rb, sa, sb) => {
    const { native } = expectNativeMatchesCpu(() => op(uniform(sa, 11, ...ra), uniform(sb, 12, ...rb)), ULPS);
    expect(native[0]!.shape).toEqual(tf.backend_util.assertAndGetBroadcastShape(sa, sb));
  });

  it.each([
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['floorDiv', tf.floorDiv],
    ['div', tf.div],
    ['mod', tf.mod],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
  ] as const)('%s on int32 (negatives included) stays int32 and exact', (_, op) => {
    const { native } = expectNativeMatchesCpu(() =>
      op(ints([3, 4, 5], 13, -20, 20), tf.add(ints([5], 14, 1, 6), tf.scalar(0, 'int32'))),
    );
    expect(native[0]!.dtype).toBe('int32');
  });

  it('pow on int32 stays int32', () => {
    const { native } = expectNativeMatchesCpu(() => tf.pow(ints([3, 4], 15, -4, 5), ints([4], 16, 0, 4)));
    expect(native[0]!.dtype).toBe('int32');
  });

  it("mod (float32) and floorDiv (int32) follow the divisor's sign (explicit values)", () => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.mod(tf.tensor1d([-7, 7, -7, 7, -0.5]), tf.tensor1d([3, -3, -3, 3, 2])),
      tf.floorDiv(tf.tensor1d([-7, 7, -7, 7], 'int32'), tf.tensor1d([3, -3, -3, 3], 'int32')),
    ]);
    expect(Array.from(native[0]!.values)).toEqual([2, -2, -1, 1, 1.5]);
    expect(Array.from(native[1]!.values)).toEqual([-3, -3, 2, 2]);
  });

  it.each([
    ['greater', tf.greater],
    ['greaterEqual', tf.greaterEqual],
    ['less', tf.less],
    ['lessEqual', tf.lessEqual],
    ['equal', tf.equal],
    ['notEqual', tf.notEqual],
  ] as const)('%s gives bool, ties included', (_, op) => {
    // Values on a coarse grid so that equal pairs occur.
    const grid = (shape: number[], seed: number) => tf.div(tf.round(tf.mul(uniform(shape, seed), 2)), 2);
    const { native } = expectNativeMatchesCpu(() => [
      op(grid([3, 4, 5], 17), grid([4, 5], 18)),
      op(ints([3, 4], 19, -2, 2), ints([4], 20, -2, 2)),
    ]);
    expect(native.map((o) => [o.dtype, o.shape])).toEqual([
      ['bool', [3, 4, 5]],
      ['bool', [3, 4]],
    ]);
  });

  it('logicalAnd / logicalOr on bool with broadcasting', () => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.logicalAnd(bools([3, 4], 21), bools([4], 22)),
      tf.logicalOr(bools([3, 1], 23), bools([4], 24)),
    ]);
    expect(native.map((o) => [o.dtype, o.shape])).toEqual([
      ['bool', [3, 4]],
      ['bool', [3, 4]],
    ]);
  });
});

describe.skipIf(!available)('native Cast', () => {
  it('float32 → int32 truncates toward zero (negatives included)', () => {
    const { native } = expectNativeMatchesCpu(() =>
      tf.cast(tf.tensor1d([-2.7, -1.5, -0.5, -0.2, 0, 0.4, 1.9, 3, 123456.9]), 'int32'),
    );
    expect(native[0]!.dtype).toBe('int32');
    expect(Array.from(native[0]!.values)).toEqual([-2, -1, 0, 0, 0, 0, 1, 3, 123456]);
  });

  it('int32 → float32, float32/int32 → bool, bool → int32/float32', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const i = tf.tensor1d([-3, 0, 7, 16777217], 'int32');
      const f = tf.tensor1d([0, -0, 0.1, -2, NaN]);
      const b = tf.tensor1d([1, 0, 1], 'bool');
      return [
        tf.cast(i, 'float32'),
        tf.cast(f, 'bool'),
        tf.cast(i, 'bool'),
        tf.cast(b, 'int32'),
        tf.cast(b, 'float32'),
        tf.cast(f, 'float32'),
      ];
    });
    expect(native.map((o) => o.dtype)).toEqual(['float32', 'bool', 'bool', 'int32', 'float32', 'float32']);
    expect(Array.from(native[1]!.values)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(native[2]!.values)).toEqual([1, 0, 1, 1]);
  });
});

describe.skipIf(!available)('native Select, ClipByValue, Step, LeakyRelu, Prelu, Softmax, AddN', () => {
  // tfjs reaches this form only through runKernel (tf.where broadcasts first), and the cpu kernel
  // gets it wrong (it repeats t[i] / e[i] across row i), so the expectation is written out.
  it('Select with a rank-1 condition picks whole rows', () => {
    const t = randomValues(24, 31);
    const e = randomValues(24, 32);
    const { outputs, fallbacks } = runOn(
      'native',
      () =>
        tf.engine().runKernel('Select', {
          condition: tf.tensor1d([1, 0, 1], 'bool'),
          t: tf.tensor(t, [3, 4, 2]),
          e: tf.tensor(e, [3, 4, 2]),
        }) as tf.Tensor,
    );
    expect(fallbacks).toEqual({});
    expect(outputs[0]).toMatchObject({ dtype: 'float32', shape: [3, 4, 2] });
    expect(Array.from(outputs[0]!.values)).toEqual([...t.slice(0, 8), ...e.slice(8, 16), ...t.slice(16, 24)]);
  });

  it('tf.where with an elementwise and a broadcast condition; int32 branches', () => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.where(bools([3, 4], 33), uniform([3, 4], 34), uniform([3, 4], 35)),
      tf.where(bools([4], 36), ints([3, 4], 37, -5, 5), ints([3, 4], 38, -5, 5)),
    ]);
    expect(native.map((o) => [o.dtype, o.shape])).toEqual([
      ['float32', [3, 4]],
      ['int32', [3, 4]],
    ]);
  });

  it('clipByValue, step (alpha 0 and 0.3, NaN stays NaN), leakyRelu, prelu (per-channel alpha), softmax', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = tf.concat([tf.tensor1d([NaN, 0, -0.5, 0.7]), uniform([56], 41, -2, 2)]).reshape([3, 4, 5]);
      return [
        tf.clipByValue(x, -0.5, 0.7),
        tf.step(x),
        tf.step(x, 0.3),
        tf.leakyRelu(x, 0.15),
        tf.prelu(x, uniform([5], 42)),
        tf.softmax(uniform([3, 7], 43, -5, 5)),
        tf.softmax(uniform([2, 3, 4], 44, -5, 5)),
      ];
    }, ULPS);
    expect(native[1]!.values[0]).toBeNaN();
    expect(native.map((o) => o.shape)).toEqual([
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
      [3, 7],
      [2, 3, 4],
    ]);
  });

  it("Relu / Relu6 gradients, exact 0 and 6 included (tfjs: relu' = x > 0, relu6' = 0 < x ≤ 6)", () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = tf.concat([tf.tensor1d([0, -0, 6, -1e-7, 1e-7, 5.9999995, 6.0000005]), uniform([33], 51, -8, 8)]);
      const r = uniform([40], 52);
      const [dRelu] = tf.grads((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), r)))([x]);
      const [dRelu6] = tf.grads((v: tf.Tensor) => tf.sum(tf.mul(tf.relu6(v), r)))([x]);
      return [dRelu!, dRelu6!, r];
    });
    expect(native.map((o) => o.shape)).toEqual([[40], [40], [40]]);
    // The edge elements written out: x = 0, -0, 6, -1e-7, 1e-7, 5.9999995, 6.0000005.
    const r = native[2]!.values;
    expect(Array.from(native[0]!.values.slice(0, 7))).toEqual([0, 0, r[2], 0, r[4], r[5], r[6]]);
    expect(Array.from(native[1]!.values.slice(0, 7))).toEqual([0, 0, r[2], 0, r[4], r[5], 0]);
  });

  it('addN of one, two and four tensors', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const ts = [1, 2, 3, 4].map((s) => uniform([3, 5], 60 + s));
      return [tf.addN(ts.slice(0, 1)), tf.addN(ts.slice(0, 2)), tf.addN(ts)];
    }, ULPS);
    expect(native.map((o) => o.shape)).toEqual([
      [3, 5],
      [3, 5],
      [3, 5],
    ]);
  });
});

const AXES: Array<number | number[] | null> = [null, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]];
const axisLabel = (a: number | number[] | null) => (a === null ? 'all' : JSON.stringify(a));
const reductionCases = AXES.flatMap((axis) =>
  [false, true].map((keepDims) => [`axis ${axisLabel(axis)} keepDims ${keepDims}`, axis, keepDims] as const),
);

describe.skipIf(!available)('native reductions', () => {
  it.each(reductionCases)(
    'sum / mean / max / min / prod (float32) and sum / max / min (int32): %s',
    (_, axis, keepDims) => {
      const ax = axis ?? undefined;
      const { native } = expectNativeMatchesCpu(
        () => {
          const x = uniform(SHAPE, 71, -3, 3);
          const near1 = uniform(SHAPE, 72, 0.7, 1.3);
          const i = ints(SHAPE, 73, -50, 50);
          return [
            tf.sum(x, ax, keepDims),
            tf.mean(x, ax, keepDims),
            tf.max(x, ax, keepDims),
            tf.min(x, ax, keepDims),
            tf.prod(near1, ax, keepDims),
            tf.sum(i, ax, keepDims),
            tf.max(i, ax, keepDims),
            tf.min(i, ax, keepDims),
            tf.sum(bools(SHAPE, 74), ax, keepDims),
          ];
        },
        { atol: 1e-6, rtol: 1e-5 },
      );
      expect(native.map((o) => o.dtype)).toEqual([
        'float32',
        'float32',
        'float32',
        'float32',
        'float32',
        'int32',
        'int32',
        'int32',
        'int32',
      ]);
    },
  );

  it.each(reductionCases)('any / all: %s', (_, axis, keepDims) => {
    const ax = axis ?? undefined;
    const { native } = expectNativeMatchesCpu(() => [
      tf.any(bools(SHAPE, 75), ax, keepDims),
      tf.all(bools(SHAPE, 76), ax, keepDims),
      tf.any(tf.zeros(SHAPE, 'bool'), ax, keepDims),
      tf.all(tf.ones(SHAPE, 'bool'), ax, keepDims),
    ]);
    expect(native.map((o) => o.dtype)).toEqual(['bool', 'bool', 'bool', 'bool']);
  });

  it("mean and prod of int32 follow cpu's dtype", () => {
    expectNativeMatchesCpu(() => [tf.mean(ints(SHAPE, 77, -50, 50), 1), tf.prod(ints(SHAPE, 78, -3, 4), 2)], {
      atol: 1e-6,
      rtol: 1e-6,
    });
  });

  it.each([0, 1, 2, -1])('argMax / argMin along axis %s (float32 and int32)', (axis) => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.argMax(uniform(SHAPE, 79), axis),
      tf.argMin(uniform(SHAPE, 80), axis),
      tf.argMax(ints(SHAPE, 81, -1000, 1000), axis),
    ]);
    expect(native.map((o) => o.dtype)).toEqual(['int32', 'int32', 'int32']);
    expect(native[0]!.shape).toEqual(SHAPE.filter((_, i) => i !== (axis + 3) % 3));
  });
});

describe.skipIf(!available)('native shape ops', () => {
  it('concat along each axis, negative axis, int32 and bool, with an empty part', () => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.concat([uniform([2, 3, 4], 1), uniform([2, 1, 4], 2), uniform([2, 2, 4], 3)], 1),
      tf.concat([uniform([2, 3, 4], 4), uniform([1, 3, 4], 5)], 0),
      tf.concat([uniform([2, 3, 4], 6), uniform([2, 3, 1], 7)], -1),
      tf.concat([ints([2, 3], 8, -9, 9), ints([2, 2], 9, -9, 9)], 1),
      tf.concat([bools([2, 3], 10), bools([1, 3], 11)], 0),
      tf.concat([uniform([2, 3], 12), tf.zeros([2, 0]), uniform([2, 2], 13)], 1),
      tf.concat([uniform([2, 3], 14), tf.zeros([0, 3])], 0),
    ]);
    expect(native.map((o) => o.shape)).toEqual([
      [2, 6, 4],
      [3, 3, 4],
      [2, 3, 5],
      [2, 5],
      [3, 3],
      [2, 5],
      [2, 3],
    ]);
  });

  it('slice (size -1 included), pad (constant, int32), transpose', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = uniform([4, 5, 6], 21);
      return [
        tf.slice(x, [1, 0, 2], [2, -1, 3]),
        tf.slice(ints([4, 5], 22, -9, 9), [2, 1], [2, 3]),
        tf.slice(x, [0, 4, 5], [4, 1, 1]),
        tf.pad(
          x,
          [
            [1, 0],
            [0, 2],
            [1, 1],
          ],
          0.5,
        ),
        tf.pad(
          ints([2, 3], 23, -9, 9),
          [
            [2, 1],
            [0, 3],
          ],
          -1,
        ),
        tf.pad(uniform([3, 2], 24), [
          [0, 0],
          [3, 0],
        ]),
        tf.transpose(x, [2, 0, 1]),
        tf.transpose(x, [1, 0, 2]),
        tf.transpose(ints([3, 5], 25, -9, 9)),
        tf.transpose(bools([2, 3, 4, 5], 26), [0, 3, 1, 2]),
      ];
    });
    expect(native.map((o) => o.shape)).toEqual([
      [2, 5, 3],
      [2, 3],
      [4, 1, 1],
      [5, 7, 8],
      [5, 6],
      [3, 5],
      [6, 4, 5],
      [5, 4, 6],
      [5, 3],
      [2, 5, 3, 4],
    ]);
  });

  it('tile, split (sizes with -1, and equal parts), stack / unstack, reverse', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = uniform([6, 4], 31);
      return [
        tf.tile(uniform([2, 3], 32), [2, 3]),
        tf.tile(ints([2, 1, 3], 33, -9, 9), [1, 4, 2]),
        ...tf.split(x, [2, -1, 1], 0),
        ...tf.split(x, 2, 1),
        ...tf.split(ints([2, 6], 34, -9, 9), [1, -1], -1),
        tf.stack([uniform([3, 2], 35), uniform([3, 2], 36), uniform([3, 2], 37)], 1),
        tf.stack([ints([2], 38, 0, 9), ints([2], 39, 0, 9)], -1),
        ...tf.unstack(uniform([3, 4, 2], 40), 1),
        ...tf.unstack(ints([2, 3], 41, 0, 9), 0),
        tf.reverse(uniform([3, 4, 5], 42), [0, 2]),
        tf.reverse(ints([3, 4], 43, -9, 9), -1),
      ];
    });
    expect(native.map((o) => o.shape)).toEqual([
      [4, 9],
      [2, 4, 6],
      [2, 4],
      [3, 4],
      [1, 4],
      [6, 2],
      [6, 2],
      [2, 1],
      [2, 5],
      [3, 3, 2],
      [2, 2],
      [3, 2],
      [3, 2],
      [3, 2],
      [3, 2],
      [3],
      [3],
      [3, 4, 5],
      [3, 4],
    ]);
  });

  it('gather along axes 0 and 1, repeated and 2-D indices, int32 data', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const x = uniform([5, 3, 2], 51);
      return [
        tf.gather(x, tf.tensor1d([4, 0, 2, 2], 'int32'), 0),
        tf.gather(x, tf.tensor1d([2, 0], 'int32'), 1),
        tf.gather(
          x,
          tf.tensor2d(
            [
              [1, 3],
              [0, 0],
              [4, 2],
            ],
            [3, 2],
            'int32',
          ),
          0,
        ),
        tf.gather(ints([4, 3], 52, -9, 9), tf.tensor1d([3, 1], 'int32'), 0),
      ];
    });
    expect(native.map((o) => o.shape)).toEqual([
      [4, 3, 2],
      [5, 2, 2],
      [3, 2, 3, 2],
      [2, 3],
    ]);
  });

  it('oneHot: -1 and out-of-range indices give an all-off row; on/off values; float32 dtype', () => {
    const { native } = expectNativeMatchesCpu(() => {
      const idx = tf.tensor1d([0, 2, -1, 1, 4, 3], 'int32');
      return [
        tf.oneHot(idx, 4),
        tf.oneHot(idx, 4, 5, -2),
        tf.oneHot(idx, 5, 1, 0, 'float32'),
        tf.oneHot(
          tf.tensor2d(
            [
              [1, -1],
              [0, 2],
            ],
            [2, 2],
            'int32',
          ),
          3,
        ),
      ];
    });
    expect(native.map((o) => [o.dtype, o.shape])).toEqual([
      ['int32', [6, 4]],
      ['int32', [6, 4]],
      ['float32', [6, 5]],
      ['int32', [2, 2, 3]],
    ]);
    expect(Array.from(native[0]!.values)).toEqual([
      1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  it('fill and range (negative and fractional steps, int32)', () => {
    const { native } = expectNativeMatchesCpu(
      () => [
        tf.fill([2, 3], 1.5),
        tf.fill([3], 7, 'int32'),
        tf.range(0, 10, 3),
        tf.range(5, -1, -2),
        tf.range(0, 2, 0.3),
        tf.range(2, 9, 2, 'int32'),
        tf.range(3, 3),
      ],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expect(native.map((o) => [o.dtype, o.shape])).toEqual([
      ['float32', [2, 3]],
      ['int32', [3]],
      ['float32', [4]],
      ['float32', [3]],
      ['float32', [7]],
      ['int32', [4]],
      ['float32', [0]],
    ]);
  });

  it("reshape (-1, to a scalar, [2,1] → [2]) followed by broadcasting ops keeps tfjs' shapes", () => {
    const { native } = expectNativeMatchesCpu(() => {
      const col = tf.tensor2d([[1], [2]]);
      const flat = tf.reshape(col, [2]);
      return [
        tf.add(flat, tf.tensor1d([10, 20])),
        tf.mul(tf.reshape(uniform([3, 4], 61), [-1, 2]), tf.tensor1d([2, 3])),
        tf.add(tf.reshape(tf.tensor1d([5]), []), tf.tensor1d([1, 2, 3])),
        tf.sub(tf.reshape(tf.tensor1d([1, 2, 3]), [3, 1]), tf.tensor1d([1, 2])),
        tf.squeeze(uniform([1, 3, 1], 62)),
        tf.add(tf.reshape(ints([6], 63, 0, 9), [2, 3]), ints([3], 64, 0, 9)),
      ];
    });
    expect(native.map((o) => o.shape)).toEqual([[2], [6, 2], [3], [3, 2], [3], [2, 3]]);
    expect(Array.from(native[0]!.values)).toEqual([11, 22]);
  });

  it('expandDims (its own kernel in tfjs) stays native', () => {
    const { native } = expectNativeMatchesCpu(() => [
      tf.expandDims(uniform([3, 4], 65), 1),
      tf.expandDims(ints([3], 66, 0, 9), -1),
    ]);
    expect(native.map((o) => o.shape)).toEqual([
      [3, 1, 4],
      [3, 1],
    ]);
  });

  it('reshape views stay correct after the source is disposed', () => {
    const { outputs } = runOn('native', () => {
      const x = tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const y = tf.reshape(x, [3, 2]);
      x.dispose();
      return tf.add(y, 1);
    });
    expect(Array.from(outputs[0]!.values)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});
