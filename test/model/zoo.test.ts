import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { BACKBONES, buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { resnextParts } from '../../src/model/backbones/resnext18.ts';
import { MixedConv2D } from '../../src/model/layers/mixed-conv.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const heads: HeadSpec[] = [
  { name: 'digit', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  { name: 'inverted', classes: ['inverted'] },
];

/** Trainable parameters of torch_reference.py's ResNet18(heads), counted from its description. */
function torchResnet18Params(headUnits: number[]): number {
  const convBn = (cin: number, cout: number, k: number) => cin * cout * k * k + 2 * cout;
  let n = convBn(3, 64, 3);
  let c = 64;
  for (const f of [64, 128, 256, 512]) {
    n += convBn(c, f, 3) + convBn(f, f, 3) + convBn(c, f, 1); // block 1 (always projected)
    n += convBn(f, f, 3) + convBn(f, f, 3); // block 2
    c = f;
  }
  return n + headUnits.reduce((s, u) => s + 512 * u + u, 0);
}

describe('resnet18', () => {
  it('has exactly the trainable parameters of the PyTorch reference', () => {
    const m = buildModel('resnet18', { inputShape: [48, 144, 3], heads });
    try {
      const trainable = m.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
      expect(trainable).toBe(torchResnet18Params([10, 1]));
      // convolutions have no bias
      for (const l of m.layers) if (l.getClassName() === 'Conv2D') expect(l.weights.length).toBe(1);
      // 48×144 → stem 24×72 → pool 12×36 → 12×36, 6×18, 3×9, 2×5 (PyTorch padding k//2)
      expect((m.getLayer('gap').input as tf.SymbolicTensor).shape).toEqual([null, 2, 5, 512]);
      expect(m.outputs.map((o) => o.shape)).toEqual([
        [null, 10],
        [null, 1],
      ]);
    } finally {
      m.dispose();
    }
  });

  for (const name of ['resnet18', 'resnext18']) {
    it(`${name} is deterministic for a seed, including seed 0 (tfjs reads an initializer seed of 0 as unseeded)`, () => {
      for (const seed of [0, 5]) {
        const a = buildModel(name, { inputShape: [16, 16, 3], heads, width: 1 / 8, seed });
        const b = buildModel(name, { inputShape: [16, 16, 3], heads, width: 1 / 8, seed });
        const c = buildModel(name, { inputShape: [16, 16, 3], heads, width: 1 / 8, seed: seed + 1 });
        const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
        expect(b.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
        expect(Array.from(c.getWeights()[0]!.dataSync())).not.toEqual(wa[0]);
        [a, b, c].forEach((m) => m.dispose());
      }
    });
  }
});

describe('kernel_init', () => {
  it('torch: conv and dense kernels U(±1/√fan_in) (std 1/√(3·fan_in)), dense bias too; he_normal: std ≈ √(2/fan_in)·0.88 (truncated)', () => {
    const t = buildModel('resnext18', { inputShape: [16, 16, 3], heads, kernelInit: 'torch', seed: 1 });
    const h = buildModel('resnext18', { inputShape: [16, 16, 3], heads, seed: 1 });
    const stats = (w: tf.Tensor) => {
      const v = Array.from(w.dataSync());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return {
        max: v.reduce((a, b) => Math.max(a, Math.abs(b)), 0),
        std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length),
      };
    };
    // s4b1_a_conv: 3×3×256 fan-in, 256·512·9 weights
    const fanIn = 9 * 256;
    const kt = stats(t.getLayer('s4b1_a_conv').getWeights()[0]!);
    expect(kt.max).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    expect(kt.std).toBeCloseTo(1 / Math.sqrt(3 * fanIn), 3);
    const kh = stats(h.getLayer('s4b1_a_conv').getWeights()[0]!);
    expect(kh.std / Math.sqrt(2 / fanIn)).toBeGreaterThan(0.85);
    expect(kh.std / Math.sqrt(2 / fanIn)).toBeLessThan(0.9);
    // mixed grouped conv, part 0 (512 channels in 32 groups of 16; kernel 3 → fan-in 9·16)
    const km = stats(t.getLayer('s4b1_b_mixconv').getWeights()[0]!);
    expect(km.max).toBeLessThanOrEqual(1 / Math.sqrt(9 * 16));
    expect(km.max).toBeGreaterThan(0.9 / Math.sqrt(9 * 16));
    const [dk, db] = t.getLayer('head0_digit').getWeights();
    expect(stats(dk!).max).toBeLessThanOrEqual(1 / Math.sqrt(512));
    expect(stats(db!).max).toBeGreaterThan(0);
    expect(stats(h.getLayer('head0_digit').getWeights()[1]!).max).toBe(0);
    expect(t.getLayer('s4b1_b_mixconv').getConfig().kernelInit).toBe('torch');
    t.dispose();
    h.dispose();
  });
});

describe('kernel_init: torch on depthwise convs', () => {
  // PyTorch's fan-in of a depthwise conv (groups = channels, weight [C, 1, k, k]) is k·k, so its
  // default init is U(±1/k); a fan-in of C·k·k (tfjs's count for a [k, k, C, 1] kernel) is √C narrower.
  const spread = (w: tf.Tensor) => {
    const v = Array.from(w.dataSync());
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return {
      max: v.reduce((a, b) => Math.max(a, Math.abs(b)), 0),
      std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length),
    };
  };
  it("mobilenet-v2 (Builder.depthwise) and mixnet18 (MixedConv2D depthwise parts) draw U(±1/k); he_normal keeps Keras's C·k·k fan-in", () => {
    const m = buildModel('mobilenet-v2', { inputShape: [32, 32, 3], heads, kernelInit: 'torch', seed: 3 });
    const dw = m.getLayer('ir7_1_dw').getWeights()[0]!; // 3×3 over 960 channels
    expect(dw.shape).toEqual([3, 3, 960, 1]);
    const a = spread(dw);
    expect(a.max).toBeLessThanOrEqual(1 / 3);
    expect(a.max).toBeGreaterThan(0.99 / 3);
    expect(a.std).toBeCloseTo(1 / (3 * Math.sqrt(3)), 2);
    const x = buildModel('mixnet18', { inputShape: [32, 32, 3], heads, kernelInit: 'torch', seed: 3 });
    const parts = x.getLayer('s4b1_mixdw').getWeights(); // kernels 3/5/7/9 over 512 channels
    for (const [i, k] of [3, 5, 7, 9].entries()) {
      const b = spread(parts[i]!);
      expect(parts[i]!.shape.slice(0, 2)).toEqual([k, k]);
      expect(b.max).toBeLessThanOrEqual(1 / k);
      expect(b.max).toBeGreaterThan(0.98 / k);
      expect(b.std).toBeCloseTo(1 / (k * Math.sqrt(3)), 2);
    }
    const h = buildModel('mobilenet-v2', { inputShape: [32, 32, 3], heads, seed: 3 });
    const c = spread(h.getLayer('ir7_1_dw').getWeights()[0]!);
    expect(c.std / Math.sqrt(2 / (9 * 960))).toBeGreaterThan(0.85);
    expect(c.std / Math.sqrt(2 / (9 * 960))).toBeLessThan(0.9);
    for (const model of [m, x, h]) model.dispose();
  });
});

describe('every backbone', () => {
  for (const name of Object.keys(BACKBONES)) {
    it(`${name} builds for 48×144 and 20×36 and outputs logits per head`, () => {
      for (const [h, w] of [
        [48, 144],
        [20, 36],
      ] as const) {
        const m = buildModel(name, { inputShape: [h, w, 3], heads, width: 1 / 8, seed: 1 });
        try {
          const out = tf.tidy(() => (m.predict(tf.ones([2, h, w, 3])) as tf.Tensor[]).map((t) => t.shape));
          expect(out).toEqual([
            [2, 10],
            [2, 1],
          ]);
        } finally {
          m.dispose();
        }
      }
    });
  }
});

describe('resnext18 groups', () => {
  it('3/5/7/9 kernels with 16/8/4/4 groups, halved until ≥ 4 channels per group', () => {
    expect(resnextParts(512)).toEqual([
      { channels: 256, kernel: 3, groups: 16 },
      { channels: 128, kernel: 5, groups: 8 },
      { channels: 64, kernel: 7, groups: 4 },
      { channels: 64, kernel: 9, groups: 4 },
    ]);
    // 64 channels / 32 groups = 2 < 4 → halve to 8/4/2/2 = 16 groups of 4
    expect(resnextParts(64).map((p) => [p.channels, p.groups])).toEqual([
      [32, 8],
      [16, 4],
      [8, 2],
      [8, 2],
    ]);
    // 8 channels: groups 1/1/1/1 still give 2 per group → drop the big kernels → 2 groups of 4
    expect(resnextParts(8)).toEqual([
      { channels: 4, kernel: 3, groups: 1 },
      { channels: 4, kernel: 5, groups: 1 },
    ]);
  });
});

describe('MixedConv2D', () => {
  it('equals block-diagonal convolutions per part (grouped) and depthwise parts', () => {
    const layer = new MixedConv2D({
      parts: [
        { channels: 8, kernel: 3, groups: 2 },
        { channels: 4, kernel: 5, groups: 4 },
      ],
      seed: 3,
    });
    const x = tf.randomNormal([2, 7, 9, 12], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = layer.apply(x) as tf.Tensor4D;
    const [k0, k1] = layer.getWeights() as [tf.Tensor4D, tf.Tensor4D];
    expect(k0.shape).toEqual([3, 3, 4, 8]);
    expect(k1.shape).toEqual([5, 5, 4, 1]);
    // independent: a dense [3,3,8,8] kernel that is zero off the two 4×4 diagonal blocks
    const k0v = k0.arraySync();
    const full = tf.tensor4d(
      k0v.map((r) =>
        r.map((c) =>
          Array.from({ length: 8 }, (_, i) =>
            Array.from({ length: 8 }, (_, o) => (Math.floor(i / 4) === Math.floor(o / 4) ? c[i % 4]![o]! : 0)),
          ),
        ),
      ),
    );
    const ref0 = tf.conv2d(x.slice([0, 0, 0, 0], [-1, -1, -1, 8]), full, 1, 'same');
    const ref1 = tf.depthwiseConv2d(x.slice([0, 0, 0, 8], [-1, -1, -1, 4]), k1, 1, 'same');
    const ref = tf.concat([ref0, ref1], 3);
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, y, full, ref0, ref1, ref]);
    layer.dispose();
  });
});
