/**
 * The addon keeps image tensors *channels-second backed* (NHWC shape, NCHW memory: what ATen's
 * CPU convolutions and batch norm run fastest on; native/src/registry.h). Every op must give the
 * same values whichever of the two layouts its inputs have, so these programs feed the output of
 * a convolution (channels-second on native) and a tensor from JS (row-major NHWC) into the shape,
 * elementwise, reduction, pooling and normalisation ops, alone and mixed, against the cpu backend.
 * The first cases check that the layouts are what this file assumes, so the rest cannot pass by
 * never seeing a channels-second tensor.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.ts';
import type { NativeBackend } from '../../../src/engine/native/backend.ts';
import { randomValues, size } from '../helpers.ts';
import { fusedAdamUpdate } from '../../../src/engine/ops/fused-adam/fused-adam.ts';
import { fusedSgdUpdate } from '../../../src/engine/ops/fused-sgd/fused-sgd.ts';
import { available, expectNativeMatchesCpu, runOn, setupNative } from './compare.ts';

beforeAll(async () => {
  if (available) await setupNative();
});

const TOL = { atol: 2e-5, rtol: 2e-5 };
const N = 2,
  H = 5,
  W = 6,
  C = 7;
const values = (shape: number[], seed: number) => tf.tensor(randomValues(size(shape), seed), shape);
/**
 * A channels-second tensor on native: a 1×1 convolution's output, [N, H, W, C]. (Its input has 5
 * channels: a conv of a JS batch with ≤ 4 channels, an image, runs channels-last and its output
 * stays row-major, native/src/conv.cc.)
 */
const convOut = (seed = 1, c = C) =>
  tf.conv2d(values([N, H, W, 5], seed) as tf.Tensor4D, values([1, 1, 5, c], seed + 1) as tf.Tensor4D, 1, 'valid');
/** A row-major NHWC tensor (from JS) of the same shape. */
const rowMajor = (seed = 5, c = C) => values([N, H, W, c], seed) as tf.Tensor4D;

/** Layout bits of a native tensor: 1 = row-major contiguous, 2 = channels-second backed, 4 = OIHW backed (filters). */
function layoutOf(t: tf.Tensor): number {
  const be = tf.backend() as unknown as NativeBackend;
  const info = be.run1('MlcPipeLayout', [t]);
  try {
    return be.readSync(info.dataId)[0] as number;
  } finally {
    be.disposeData(info.dataId);
  }
}

describe.skipIf(!available)('native tensor layouts', () => {
  it('a convolution gives a channels-second tensor, JS data is row-major, ops keep channels-second', () => {
    tf.tidy(() => {
      const y = convOut();
      expect(layoutOf(y)).toBe(2);
      expect(layoutOf(rowMajor())).toBe(1);
      expect(layoutOf(tf.relu(y))).toBe(2);
      expect(layoutOf(tf.add(y, values([C], 9)))).toBe(2);
      expect(layoutOf(tf.concat([y, convOut(3, 4)], 3))).toBe(2);
      expect(layoutOf(tf.split(y, [3, 4], 3)[1]!)).toBe(2);
      expect(layoutOf(tf.maxPool(y, 2, 2, 'same'))).toBe(2);
    });
  });

  it('a conv of an image batch from JS (≤ 4 channels) keeps it channels-last: row-major output, and so do batch norm, pooling and ReLU after it', () => {
    tf.tidy(() => {
      for (const c of [1, 3, 4]) {
        const y = tf.conv2d(
          values([N, 9, 8, c], 41) as tf.Tensor4D,
          values([3, 3, c, 6], 42) as tf.Tensor4D,
          2,
          'same',
        );
        expect(layoutOf(y), `${c} channels`).toBe(1);
        expect(layoutOf(tf.relu(tf.maxPool(y, 3, 2, 'same')))).toBe(1);
      }
      expect(
        layoutOf(
          tf.conv2d(values([N, 9, 8, 5], 43) as tf.Tensor4D, values([3, 3, 5, 6], 44) as tf.Tensor4D, 2, 'same'),
        ),
      ).toBe(2);
    });
  });

  const programs: Array<[string, () => tf.Tensor | tf.Tensor[]]> = [
    [
      'reshape to 2-D, 3-D and 4-D',
      () => {
        const y = convOut();
        return [y.reshape([N, H * W * C]), y.reshape([N * H, W, C]), y.reshape([N, W, H, C])];
      },
    ],
    [
      'slice on every axis',
      () => {
        const y = convOut();
        return [
          y.slice([1, 0, 0, 0], [1, H, W, C]),
          y.slice([0, 1, 2, 0], [N, 3, 3, C]),
          y.slice([0, 0, 0, 2], [N, H, W, 4]),
        ];
      },
    ],
    [
      'split on the channel and height axes',
      () => {
        const y = convOut();
        return [...tf.split(y, [2, 5], 3), ...tf.split(y, [2, 3], 1)];
      },
    ],
    [
      'concat on each axis, channels-second with row-major',
      () => {
        const y = convOut();
        const r = rowMajor();
        return [
          tf.concat([y, r], 3),
          tf.concat([r, y], 3),
          tf.concat([y, y], 0),
          tf.concat([y, r], 1),
          tf.concat([y, convOut(4)], -1),
        ];
      },
    ],
    [
      'transpose, pad, tile, reverse, gather, stack/unstack',
      () => {
        const y = convOut();
        return [
          y.transpose([0, 3, 1, 2]),
          y.pad(
            [
              [0, 0],
              [1, 2],
              [0, 1],
              [0, 0],
            ],
            0.5,
          ),
          tf.tile(y, [1, 2, 1, 1]),
          tf.reverse(y, [1, 3]),
          tf.gather(y, tf.tensor1d([3, 0, 6], 'int32'), 3),
          tf.stack([y, y], 1),
          ...tf.unstack(y, 3).slice(0, 2),
        ];
      },
    ],
    [
      'elementwise with broadcasting and with a row-major operand',
      () => {
        const y = convOut();
        const r = rowMajor();
        return [
          tf.add(y, r),
          tf.mul(r, y),
          tf.sub(y, values([1, 1, W, 1], 7)),
          tf.relu6(tf.mul(y, 3)),
          tf.where(tf.greater(y, r), y, r),
          tf.cast(tf.greater(y, 0), 'int32'),
        ];
      },
    ],
    [
      'reductions',
      () => {
        const y = convOut();
        return [tf.mean(y, [1, 2]), tf.sum(y, 3), tf.max(y, [0, 3], true), tf.argMax(y, 3), tf.min(y)];
      },
    ],
    [
      'pooling and its gradients',
      () => {
        const y = convOut();
        const [gm, ga] = [
          tf.grad((x: tf.Tensor) =>
            tf
              .maxPool(x as tf.Tensor4D, 3, 2, 'same')
              .square()
              .sum(),
          ),
          tf.grad((x: tf.Tensor) =>
            tf
              .avgPool(x as tf.Tensor4D, 2, 1, 'valid')
              .square()
              .sum(),
          ),
        ];
        return [tf.maxPool(y, 3, 2, 'same'), tf.avgPool(y, 2, 2, 'valid'), gm(y), ga(y)];
      },
    ],
    [
      'convolutions of channels-second and row-major inputs, and their gradients',
      () => {
        const y = convOut();
        const r = rowMajor();
        const f = values([3, 3, C, 4], 11) as tf.Tensor4D;
        const g = tf.grads((x: tf.Tensor, k: tf.Tensor) =>
          tf
            .conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')
            .square()
            .sum(),
        );
        const dw = tf.grads((x: tf.Tensor, k: tf.Tensor) =>
          tf
            .depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same')
            .square()
            .sum(),
        );
        return [
          tf.conv2d(y, f, 1, 'same'),
          tf.conv2d(tf.add(y, r) as tf.Tensor4D, f, 2, 'valid'),
          ...g([y, f]),
          ...g([r, f]),
          ...dw([y, values([3, 3, C, 1], 12)]),
          tf.depthwiseConv2d(r, values([5, 5, C, 2], 13) as tf.Tensor4D, 1, 'same'),
        ];
      },
    ],
    [
      'batch norm (inference form) and moments',
      () => {
        const y = convOut();
        const m = tf.moments(y, [0, 1, 2]);
        return [tf.batchNorm(y, m.mean, m.variance, values([C], 3), values([C], 4), 1e-3), m.mean, m.variance];
      },
    ],
  ];

  it.each(programs)('%s: native matches cpu', (_, program) => {
    expectNativeMatchesCpu(program, TOL);
  });

  // tfjs' cpu AvgPoolGrad divides by the whole window even where 'same' padding cut it short, so
  // it is not the gradient of its own forward pass there; finite differences are the reference.
  it("average pooling's 'same' gradient (partial windows) equals finite differences, both layouts", () => {
    for (const channelsSecond of [false, true]) {
      const x0 = Array.from(randomValues(N * 4 * 5 * 5, 21));
      const input = (v: number[]) => {
        const x = tf.tensor4d(v, [N, 4, 5, 5]);
        return channelsSecond ? tf.conv2d(x, tf.eye(5).reshape([1, 1, 5, 5]) as tf.Tensor4D, 1, 'valid') : x;
      };
      const f = (v: number[]) => tf.tidy(() => tf.avgPool(input(v), 2, 1, 'same').square().sum().dataSync()[0]!);
      const grad = tf.tidy(() => {
        const x = input(x0);
        expect(layoutOf(x)).toBe(channelsSecond ? 2 : 1);
        return Array.from(
          tf
            .grad((t: tf.Tensor) =>
              tf
                .avgPool(t as tf.Tensor4D, 2, 1, 'same')
                .square()
                .sum(),
            )(x)
            .dataSync(),
        );
      });
      const h = 1e-2;
      const fd = x0.map((_, i) => {
        const a = x0.slice(),
          b = x0.slice();
        a[i]! += h;
        b[i]! -= h;
        return (f(a) - f(b)) / (2 * h);
      });
      grad.forEach((g, i) => expect(Math.abs(g - fd[i]!), `element ${i}`).toBeLessThan(2e-3));
    }
  });

  // Optimizer kernels index raw buffers: a variable, slot or gradient stored channels-second
  // must be read in logical order (and is then not updated in place).
  it.each([false, true])(
    'fused Adam and SGD updates of channels-second variables match cpu (amsgrad %s)',
    (amsgrad) => {
      const program = () => {
        const make = (seed: number) => tf.variable(tf.mul(convOut(seed), 0.1));
        const [w, m, v, vmax, u, buf] = [
          make(1),
          make(2),
          tf.variable(tf.abs(convOut(3))),
          tf.variable(tf.abs(convOut(4))),
          make(5),
          make(6),
        ];
        const g = tf.sin(convOut(7));
        for (let t = 1; t <= 2; t++) {
          fusedAdamUpdate(w, g, { m, v, ...(amsgrad ? { vmax } : {}) }, { learningRate: 0.01, t, weightDecay: 0.1 });
          fusedSgdUpdate(u, g, buf, { learningRate: 0.01, momentum: 0.9, nesterov: amsgrad });
        }
        const out = [w, m, v, vmax, u, buf].map((x) => x.clone());
        tf.dispose([w, m, v, vmax, u, buf]);
        return out;
      };
      const probe = tf.tidy(() => tf.variable(convOut()));
      expect(layoutOf(probe)).toBe(2);
      probe.dispose();
      const cpu = runOn('cpu', program);
      const native = runOn('native', program);
      native.outputs.forEach((o, i) =>
        expect(
          Array.from(o.values)
            .map((x, k) => Math.abs(x - cpu.outputs[i]!.values[k]!))
            .reduce((a, b) => Math.max(a, b)),
          `output ${i}`,
        ).toBeLessThan(1e-5),
      );
    },
  );

  // A conv filter's gradient comes out OIHW-backed; the optimizer moves the filter and its slots
  // to that order on the first step and updates them in place from then on.
  it.each(['adam', 'sgd'] as const)(
    '%s on a conv filter with its real gradient: filter turns OIHW-backed, values match cpu',
    (name) => {
      const layouts: number[][] = [];
      const program = () => {
        const x = values([N, H, W, 3], 31) as tf.Tensor4D;
        const w = tf.tidy(() => tf.variable(values([3, 3, 3, 5], 32)));
        const [m, v] = [0, 1].map(() => tf.tidy(() => tf.variable(tf.zerosLike(w)))) as [tf.Variable, tf.Variable];
        const seen: number[] = [];
        for (let t = 1; t <= 3; t++) {
          const g = tf.grad((k: tf.Tensor) =>
            tf
              .conv2d(x, k as tf.Tensor4D, 2, 'same')
              .square()
              .sum(),
          )(w);
          if (tf.getBackend() === 'native') seen.push(layoutOf(g));
          if (name === 'adam') fusedAdamUpdate(w, g, { m, v }, { learningRate: 0.01, t });
          else fusedSgdUpdate(w, g, m, { learningRate: 0.01, momentum: 0.9, nesterov: false });
          if (tf.getBackend() === 'native') seen.push(layoutOf(w));
        }
        layouts.push(seen);
        const out = [w, m, v].map((t) => t.clone());
        tf.dispose([w, m, v]);
        return out;
      };
      const cpu = runOn('cpu', program);
      const native = runOn('native', program);
      // gradient OIHW-backed at every step, the filter too from the first update on
      expect(layouts.at(-1)).toEqual([4, 4, 4, 4, 4, 4]);
      native.outputs.forEach((o, i) =>
        expect(
          Array.from(o.values)
            .map((x, k) => Math.abs(x - cpu.outputs[i]!.values[k]!))
            .reduce((a, b) => Math.max(a, b)),
          `output ${i}`,
        ).toBeLessThan(1e-4),
      );
    },
  );
});
