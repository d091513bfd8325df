import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { getLoss, GhmLoss, type HeadInfo, type HeadLoss } from '../../src/train/losses/index.ts';
import { balancedClassWeights } from '../../src/train/losses/multihead.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

// ---- independent plain-JS reference math ----
const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const target = (label: number, kind: 'softmax' | 'sigmoid', k: number, eps: number) =>
  kind === 'softmax'
    ? Array.from({ length: k }, (_, c) => (c === label ? 1 : 0) * (1 - eps) + eps / k)
    : [label * (1 - eps) + eps / 2];
const probs = (z: number[], kind: 'softmax' | 'sigmoid') => (kind === 'softmax' ? softmax(z) : [sigmoid(z[0]!)]);

type Elem = (p: number, y: number) => number;
/** mean over valid samples of Σ_units elem(p, y) (× class weight). */
function refLoss(
  Z: number[][],
  labels: number[],
  kind: 'softmax' | 'sigmoid',
  elem: Elem,
  eps = 0,
  cw?: number[],
  softmaxElem?: Elem,
): number {
  let s = 0;
  let n = 0;
  Z.forEach((z, i) => {
    if (labels[i]! < 0) return;
    n++;
    const p = probs(z, kind);
    const y = target(labels[i]!, kind, z.length, eps);
    const f = kind === 'softmax' && softmaxElem ? softmaxElem : elem;
    s += (cw ? cw[labels[i]!]! : 1) * p.reduce((a, pk, k) => a + f(pk, y[k]!), 0);
  });
  return s / Math.max(1, n);
}

function tfLoss(loss: HeadLoss, Z: number[][], labels: number[], head: HeadInfo): number {
  return tf.tidy(() => loss.call(tf.tensor2d(Z), tf.tensor1d(labels, 'int32'), head).dataSync()[0]!);
}
function tfGrad(loss: HeadLoss, Z: number[][], labels: number[], head: HeadInfo): number[][] {
  return tf.tidy(() => {
    const g = tf.grad((z: tf.Tensor) => loss.call(z as tf.Tensor2D, tf.tensor1d(labels, 'int32'), head))(
      tf.tensor2d(Z),
    );
    return g.arraySync() as number[][];
  });
}
/** Central finite differences of `f` in float64. */
function fdGrad(f: (Z: number[][]) => number, Z: number[][], h = 1e-5): number[][] {
  return Z.map((row, i) =>
    row.map((_, j) => {
      const up = Z.map((r) => [...r]);
      const dn = Z.map((r) => [...r]);
      up[i]![j]! += h;
      dn[i]![j]! -= h;
      return (f(up) - f(dn)) / (2 * h);
    }),
  );
}
const expectClose = (a: number[][], b: number[][], tol: number) =>
  a.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(b[i]![j]!, tol)));

const Zs = [
  [1.0, 2.0, 0.5],
  [0.2, -0.3, 0.1],
  [3.0, -1.0, 2.0],
  [-0.5, 0.4, 1.5],
];
const Ls = [1, -1, 0, 2];
const Zb = [[0.7], [-1.2], [2.5], [0.1], [-0.4]];
const Lb = [1, 0, -1, 0, 1];
const SM: HeadInfo = { kind: 'softmax', units: 3 };
const SG: HeadInfo = { kind: 'sigmoid', units: 1 };
const ce: Elem = (p, y) => -y * Math.log(p);
const bce: Elem = (p, y) => -y * Math.log(p) - (1 - y) * Math.log(1 - p);

describe('cross-entropy', () => {
  it('softmax CE matches −Σ y log p averaged over known labels', () => {
    expect(tfLoss(getLoss('ce'), Zs, Ls, SM)).toBeCloseTo(refLoss(Zs, Ls, 'softmax', ce), 5);
    // by hand for sample 0: log(e^1+e^2+e^.5) − 2
    const s0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5)) - 2;
    expect(tfLoss(getLoss('ce'), [Zs[0]!], [1], SM)).toBeCloseTo(s0, 5);
  });
  it('binary CE on a sigmoid head', () => {
    expect(tfLoss(getLoss('bce'), Zb, Lb, SG)).toBeCloseTo(refLoss(Zb, Lb, 'sigmoid', bce), 5);
  });
  it('label smoothing goes toward 1/K (softmax) and 1/2 (sigmoid)', () => {
    const l = getLoss({ name: 'crossentropy', labelSmoothing: 0.1 });
    expect(tfLoss(l, Zs, Ls, SM)).toBeCloseTo(refLoss(Zs, Ls, 'softmax', ce, 0.1), 5);
    expect(tfLoss(l, Zb, Lb, SG)).toBeCloseTo(refLoss(Zb, Lb, 'sigmoid', bce, 0.1), 5);
    // sigmoid target for label 1 with ε=0.1 is 0.95: loss at z=0 stays log 2 whatever the target
    expect(tfLoss(l, [[0]], [1], SG)).toBeCloseTo(Math.log(2), 5);
  });
  it('class weights scale each sample by the weight of its label', () => {
    const cw = [2, 0.5, 1];
    expect(tfLoss(getLoss('ce'), Zs, Ls, { ...SM, classWeights: cw })).toBeCloseTo(
      refLoss(Zs, Ls, 'softmax', ce, 0, cw),
      5,
    );
  });
  it('gradient matches finite differences', () => {
    const f = (Z: number[][]) => refLoss(Z, Ls, 'softmax', ce);
    expectClose(tfGrad(getLoss('ce'), Zs, Ls, SM), fdGrad(f, Zs), 4);
  });
});

describe('masking (-1)', () => {
  for (const name of ['ce', 'focal', 'ghm', 'asl']) {
    it(`${name}: unknown labels contribute nothing to loss or gradient`, () => {
      const loss = getLoss(name);
      const a = tfLoss(getLoss(name), Zs, Ls, SM);
      const wild = Zs.map((r, i) => (Ls[i] === -1 ? [50, -80, 1e3] : r));
      expect(tfLoss(loss, wild, Ls, SM)).toBeCloseTo(a, 5);
      const g = tfGrad(getLoss(name), wild, Ls, SM);
      expect(g[1]!.map(Math.abs)).toEqual([0, 0, 0]);
      expect(g.flat().every(Number.isFinite)).toBe(true);
      expect(tfLoss(getLoss(name), Zs, [-1, -1, -1, -1], SM)).toBe(0);
    });
  }
});

describe('focal', () => {
  const focalSig =
    (g: number, a: number): Elem =>
    (p, y) =>
      -a * y * (1 - p) ** g * Math.log(p) - (1 - a) * (1 - y) * p ** g * Math.log(1 - p);
  const focalSm =
    (g: number): Elem =>
    (p, y) =>
      -y * (1 - p) ** g * Math.log(p);
  it('sigmoid: −α y (1−p)^γ log p − (1−α)(1−y) p^γ log(1−p)', () => {
    const l = getLoss({ name: 'focal', gamma: 2, alpha: 0.25 });
    expect(tfLoss(l, Zb, Lb, SG)).toBeCloseTo(refLoss(Zb, Lb, 'sigmoid', focalSig(2, 0.25)), 5);
  });
  it('softmax: −Σ y (1−p)^γ log p', () => {
    const l = getLoss({ name: 'focal', gamma: 1.5 });
    expect(tfLoss(l, Zs, Ls, SM)).toBeCloseTo(refLoss(Zs, Ls, 'softmax', focalSm(1.5)), 5);
  });
  it('γ = 0, α = 0.5 is half the BCE', () => {
    const l = getLoss({ name: 'focal', gamma: 0, alpha: 0.5 });
    expect(tfLoss(l, Zb, Lb, SG)).toBeCloseTo(0.5 * refLoss(Zb, Lb, 'sigmoid', bce), 5);
  });
  it('gradient matches finite differences (sigmoid and softmax)', () => {
    expectClose(
      tfGrad(getLoss({ name: 'focal', gamma: 2, alpha: 0.25 }), Zb, Lb, SG),
      fdGrad((Z) => refLoss(Z, Lb, 'sigmoid', focalSig(2, 0.25)), Zb),
      4,
    );
    expectClose(
      tfGrad(getLoss({ name: 'focal', gamma: 2 }), Zs, Ls, SM),
      fdGrad((Z) => refLoss(Z, Ls, 'softmax', focalSm(2)), Zs),
      4,
    );
  });
});

describe('ASL', () => {
  const asl =
    (gp: number, gn: number, clip: number): Elem =>
    (p, y) => {
      const pm = Math.max(p - clip, 0);
      return -(y * (1 - p) ** gp * Math.log(p) + (1 - y) * pm ** gn * Math.log(1 - pm));
    };
  it('matches the elementwise formula with probability shift', () => {
    const l = getLoss({ name: 'asl', gammaPos: 1, gammaNeg: 4, clip: 0.05 });
    expect(tfLoss(l, Zb, Lb, SG)).toBeCloseTo(refLoss(Zb, Lb, 'sigmoid', asl(1, 4, 0.05)), 5);
    expect(tfLoss(l, Zs, Ls, SM)).toBeCloseTo(refLoss(Zs, Ls, 'softmax', asl(1, 4, 0.05)), 5);
  });
  it('γ+ = γ− = 0, clip 0 is BCE', () => {
    const l = getLoss({ name: 'asl', gammaPos: 0, gammaNeg: 0, clip: 0 });
    expect(tfLoss(l, Zb, Lb, SG)).toBeCloseTo(refLoss(Zb, Lb, 'sigmoid', bce), 5);
  });
  it('gradient matches finite differences', () => {
    const l = getLoss({ name: 'asl', gammaPos: 1, gammaNeg: 2, clip: 0.05 });
    expectClose(
      tfGrad(l, Zb, Lb, SG),
      fdGrad((Z) => refLoss(Z, Lb, 'sigmoid', asl(1, 2, 0.05)), Zb),
      4,
    );
  });
});

describe('GHM-C', () => {
  // sigmoid head, 5 valid samples; g = |σ(z) − y|
  const Z = [[2.0], [1.5], [-2.2], [0.1], [-0.05], [0.3]];
  const L = [1, 1, 0, 1, 1, -1];
  const g = Z.map((z, i) => Math.abs(sigmoid(z[0]!) - Math.max(0, L[i]!)));
  it('weights tot/(count·nonEmpty) with momentum 0, by hand', () => {
    // g ≈ [0.119, 0.182, 0.100, 0.475, 0.512] → bins (10): 1, 1, 1, 4, 5 (0.0998 → bin 0? check below)
    const bins = g.slice(0, 5).map((v) => Math.min(9, Math.floor(v * 10)));
    const counts = new Map<number, number>();
    bins.forEach((b) => counts.set(b, (counts.get(b) ?? 0) + 1));
    const nonEmpty = counts.size;
    const w = bins.map((b) => 5 / counts.get(b)! / nonEmpty);
    const ghm = new GhmLoss({ bins: 10, momentum: 0 });
    const got = ghm.weights(Float32Array.from(g), Float32Array.from(L.map((l) => (l >= 0 ? 1 : 0))));
    w.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(got[5]).toBe(0);
    const bceI = (i: number) => bce(sigmoid(Z[i]![0]!), L[i]!);
    const expected = w.reduce((s, wi, i) => s + wi * bceI(i), 0) / 5;
    expect(tfLoss(new GhmLoss({ bins: 10, momentum: 0 }), Z, L, SG)).toBeCloseTo(expected, 5);
  });
  it('EMA of bin counts across calls (momentum 0.75), non-empty bins only, bias-corrected by 1 − α^k', () => {
    const ghm = new GhmLoss({ bins: 2, momentum: 0.75 });
    const mask = Float32Array.from([1, 1, 1]);
    // call 1: counts [2, 1]; acc = 0.25·[2, 1]; k = [1, 1] → unbiased [2, 1] (the counts); w = 3/[2, 1]/2
    let w = ghm.weights(Float32Array.from([0.1, 0.2, 0.9]), mask);
    expect([...w].map((v) => +v.toFixed(5))).toEqual([0.75, 0.75, 1.5]);
    // call 2: counts [3, 0]; acc0 = .75·.5 + .25·3 = 1.125, k0 = 2 → 1.125 / (1 − .75²) = 2.5714…; w = 3/2.5714/1
    w = ghm.weights(Float32Array.from([0.1, 0.3, 0.4]), mask);
    [...w].forEach((v) => expect(v).toBeCloseTo(3 / (1.125 / (1 - 0.75 ** 2)), 5));
    expect(ghm.getState()).toEqual({ 0: { acc: [1.125, 0.25], updates: [2, 1] } });
    // a frozen view (validation) reads the EMA and leaves it as it was
    const view = ghm.frozen();
    const wv = view.weights(Float32Array.from([0.1, 0.9, 0.9]), mask);
    expect(wv[0]).toBeCloseTo(3 / (1.125 / (1 - 0.75 ** 2)) / 2, 5);
    expect(wv[1]).toBeCloseTo(3 / (0.25 / 0.25) / 2, 5);
    expect(ghm.getState()).toEqual({ 0: { acc: [1.125, 0.25], updates: [2, 1] } });
  });
  it('biasCorrection: false is the paper/mmdetection EMA started at 0', () => {
    const ghm = new GhmLoss({ bins: 2, momentum: 0.75, biasCorrection: false });
    const mask = Float32Array.from([1, 1, 1]);
    // call 1: g = [0.1, 0.2, 0.9] → counts [2, 1]; acc = 0.25·[2, 1] = [0.5, 0.25]; w = 3/acc/2
    let w = ghm.weights(Float32Array.from([0.1, 0.2, 0.9]), mask);
    expect([...w].map((v) => +v.toFixed(5))).toEqual([3, 3, 6]);
    // call 2: g all in bin 0 → counts [3, 0]; acc0 = .75·.5 + .25·3 = 1.125, acc1 unchanged; w = 3/1.125/1
    w = ghm.weights(Float32Array.from([0.1, 0.3, 0.4]), mask);
    [...w].forEach((v) => expect(v).toBeCloseTo(3 / 1.125, 5));
    expect(ghm.getState()).toEqual({ 0: { acc: [1.125, 0.25], updates: [2, 1] } });
  });
  it('gradient = Σ w_i ∂CE_i/∂z / tot with the weights held constant (finite differences)', () => {
    const ghm = new GhmLoss({ bins: 10, momentum: 0 });
    const w = new GhmLoss({ bins: 10, momentum: 0 }).weights(
      Float32Array.from(g),
      Float32Array.from(L.map((l) => (l >= 0 ? 1 : 0))),
    );
    const f = (ZZ: number[][]) =>
      ZZ.reduce((s, z, i) => (L[i]! < 0 ? s : s + w[i]! * bce(sigmoid(z[0]!), L[i]!)), 0) / 5;
    expectClose(tfGrad(ghm, Z, L, SG), fdGrad(f, Z), 4);
  });
  it('softmax head uses g = 1 − p_true', () => {
    const ghm = new GhmLoss({ bins: 4, momentum: 0 });
    const gs = Zs.map((z, i) => (Ls[i]! < 0 ? 0 : 1 - softmax(z)[Ls[i]!]!));
    const w = new GhmLoss({ bins: 4, momentum: 0 }).weights(
      Float32Array.from(gs),
      Float32Array.from(Ls.map((l) => (l >= 0 ? 1 : 0))),
    );
    const expected = Zs.reduce((s, z, i) => (Ls[i]! < 0 ? s : s + w[i]! * -Math.log(softmax(z)[Ls[i]!]!)), 0) / 3;
    expect(tfLoss(ghm, Zs, Ls, SM)).toBeCloseTo(expected, 5);
  });
});

describe('getLoss', () => {
  it('accepts a name, a config and an object', () => {
    expect(getLoss('focal').getConfig()).toEqual({ name: 'focal', gamma: 2, alpha: 0.25, labelSmoothing: 0 });
    const l = getLoss({ name: 'ghm', bins: 30 });
    expect(getLoss(l)).toBe(l);
  });
  it('unknown names list the valid ones and the nearest', () => {
    let err: any;
    try {
      getLoss('focla');
    } catch (e) {
      err = e;
    }
    expect(err.message).toBe('unknown loss "focla"; valid: crossentropy, ce, bce, focal, ghm, asl');
    expect(err.hint).toBe('did you mean "focal"?');
  });
  it('bad options name the option and the received value', () => {
    expect(() => getLoss({ name: 'focal', gamma: -1 })).toThrow(
      'loss focal: focal: option "gamma" must be a number in [0, 100], received -1 (number)',
    );
  });
});

describe('balancedClassWeights', () => {
  it('n / (k · count), ignoring -1', () => {
    expect(balancedClassWeights([0, 0, 0, 1, -1, 2], { name: 'h', classes: ['a', 'b', 'c'] })).toEqual([
      5 / 9,
      5 / 3,
      5 / 3,
    ]);
    expect(balancedClassWeights([1, 0, 0, 0], { name: 'h', classes: ['x'] })).toEqual([4 / 6, 2]);
  });
});

describe('multiHeadLoss', () => {
  it('total = Σ_h lossWeight_h · loss_h, bit for bit the sum added head by head, and its gradient', async () => {
    const { multiHeadLoss } = await import('../../src/train/losses/multihead.ts');
    const weights = [1, 0.5, 2];
    const heads = [SM, SG, SM];
    const Z = [Zs, Zb, Zs.map((r) => r.map((v) => -v))];
    const L = [Ls, Lb, [0, 2, -1, 1]];
    const loss = getLoss('ce');
    const [total, perHead, grads] = tf.tidy(() => {
      const labels = L.map((l) => tf.tensor1d(l, 'int32'));
      const zs = Z.map((z) => tf.tensor2d(z));
      const out = multiHeadLoss(loss, zs, labels, heads, { lossWeights: weights });
      const g = tf.grads(
        (...xs: tf.Tensor[]) => multiHeadLoss(loss, xs as tf.Tensor2D[], labels, heads, { lossWeights: weights }).total,
      )(zs);
      return [
        out.total.dataSync()[0]!,
        out.perHead.map((t) => t.dataSync()[0]!),
        g.map((t) => t.arraySync() as number[][]),
      ];
    });
    // float32 accumulation in head order, as the per-head chain tf.add(total, l·w) computed it.
    const chained = perHead.reduce((acc, l, h) => Math.fround(acc + Math.fround(l * weights[h]!)), 0);
    expect(total).toBe(chained);
    perHead.forEach((l, h) => expect(l).toBeCloseTo(tfLoss(loss, Z[h]!, L[h]!, heads[h]!), 6));
    grads.forEach((g, h) =>
      expectClose(
        g,
        tfGrad(loss, Z[h]!, L[h]!, heads[h]!).map((r) => r.map((v) => v * weights[h]!)),
        6,
      ),
    );
    // One head of weight 1: the total is the head's loss (a distinct tensor the caller may dispose).
    const one = tf.tidy(() => {
      const out = multiHeadLoss(loss, [tf.tensor2d(Zb)], [tf.tensor1d(Lb, 'int32')], [SG]);
      return [out.total.dataSync()[0]!, out.perHead[0]!.dataSync()[0]!, out.total === out.perHead[0] ? 1 : 0];
    });
    expect(one).toEqual([one[1], one[1], 0]);
  });
});

describe('mixup targets', () => {
  it('λ·L(y) + (1 − λ)·L(partner) per sample, each term masked on its own labels', async () => {
    const { multiHeadLoss } = await import('../../src/train/losses/multihead.ts');
    const lam = [0.7, 0.9, 0.6, 0.5];
    const partner = [0, 2, -1, 1];
    const got = tf.tidy(
      () =>
        multiHeadLoss(
          getLoss('ce'),
          [tf.tensor2d(Zs)],
          [tf.tensor1d(Ls, 'int32')],
          [SM],
          {},
          { lambda: tf.tensor1d(lam), labels: [tf.tensor1d(partner, 'int32')] },
        ).total.dataSync()[0]!,
    );
    const ceOf = (z: number[], y: number) => -Math.log(softmax(z)[y]!);
    const a = Zs.reduce((s, z, i) => (Ls[i]! < 0 ? s : s + lam[i]! * ceOf(z, Ls[i]!)), 0) / 3;
    const b = Zs.reduce((s, z, i) => (partner[i]! < 0 ? s : s + (1 - lam[i]!) * ceOf(z, partner[i]!)), 0) / 3;
    expect(got).toBeCloseTo(a + b, 5);
  });
});
