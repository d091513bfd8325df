/**
 * fusedAdamUpdate (src/engine/ops/fused-adam/fused-adam.ts) against an independent float64 implementation of the
 * PyTorch Adam/AMSGrad formula, over several steps, on wasm and cpu (fused kernel) — with and
 * without AMSGrad and decoupled weight decay — and the unfused fallback; no tensor leaks.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { initEngine } from '../../src/engine/index.ts';
import { fusedAdamAvailable, fusedAdamUpdate, FUSED_ADAM } from '../../src/engine/ops/fused-adam/fused-adam.ts';
import { randomValues } from './helpers.ts';

/** Float64 reference: `steps` updates with gradients grads[k]; returns final w, m, v, vmax. */
function reference(
  w0: Float32Array,
  grads: Float32Array[],
  o: { lr: number; b1: number; b2: number; eps: number; wd: number; amsgrad: boolean },
) {
  const n = w0.length;
  const w = Float64Array.from(w0);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const vmax = new Float64Array(n);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < n; i++) {
      w[i] -= o.lr * o.wd * w[i]!;
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! * g[i]!;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const vv = o.amsgrad ? vmax[i]! : v[i]!;
      w[i] -= (o.lr * (m[i]! / (1 - o.b1 ** t))) / (Math.sqrt(vv / (1 - o.b2 ** t)) + o.eps);
    }
  });
  return { w, m, v, vmax };
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-6 + Math.abs(b[i]!)));
  return worst;
}

const shape = [3, 5, 7];
const n = 105;

function run(amsgrad: boolean, wd: number, unfused: boolean): void {
  const o = { lr: 0.01, b1: 0.8, b2: 0.95, eps: 1e-6, wd, amsgrad };
  const w0 = randomValues(n, 1);
  // Gradients shrink over the steps so AMSGrad's max actually differs from v.
  const grads = [1, 0.2, 0.05, 1.5].map((s, k) => randomValues(n, 10 + k).map((x) => x * s));
  const want = reference(w0, grads, o);
  const start = tf.memory().numTensors;
  const w = tf.tidy(() => tf.variable(tf.tensor(w0, shape)));
  const zeros = () => tf.tidy(() => tf.variable(tf.zeros(shape)));
  const slots = { m: zeros(), v: zeros(), ...(amsgrad ? { vmax: zeros() } : {}) };
  const saved = unfused ? tf.getKernel(FUSED_ADAM, tf.getBackend()) : undefined;
  if (saved) tf.unregisterKernel(FUSED_ADAM, tf.getBackend());
  try {
    expect(fusedAdamAvailable()).toBe(!unfused);
    const base = tf.memory().numTensors;
    grads.forEach((g, k) => {
      const gt = tf.tensor(g, shape);
      fusedAdamUpdate(w, gt, slots, {
        learningRate: o.lr,
        beta1: o.b1,
        beta2: o.b2,
        epsilon: o.eps,
        t: k + 1,
        weightDecay: wd,
      });
      gt.dispose();
      expect(tf.memory().numTensors).toBe(base);
    });
    expect(maxRelErr(w.dataSync(), want.w)).toBeLessThan(1e-5);
    expect(maxRelErr(slots.m.dataSync(), want.m)).toBeLessThan(1e-5);
    expect(maxRelErr(slots.v.dataSync(), want.v)).toBeLessThan(1e-5);
    if (slots.vmax) expect(maxRelErr(slots.vmax.dataSync(), want.vmax)).toBeLessThan(1e-5);
  } finally {
    if (saved) tf.registerKernel(saved);
    tf.dispose([w, slots.m, slots.v, ...(slots.vmax ? [slots.vmax] : [])]);
  }
  expect(tf.memory().numTensors).toBe(start);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused Adam on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ engine: backend });
    });
    for (const amsgrad of [false, true]) {
      for (const wd of [0, 0.1]) {
        it(`matches the float64 formula (amsgrad ${amsgrad}, weight decay ${wd})`, () => run(amsgrad, wd, false));
      }
      it(`unfused fallback matches too (amsgrad ${amsgrad})`, () => run(amsgrad, 0.1, true));
    }
    it('rejects t < 1 and a gradient of the wrong size', () => {
      const w = tf.variable(tf.zeros([4]));
      const s = { m: tf.variable(tf.zeros([4])), v: tf.variable(tf.zeros([4])) };
      try {
        expect(() => fusedAdamUpdate(w, tf.zeros([4]), s, { learningRate: 1, t: 0 })).toThrow(/t must be/);
        expect(() => fusedAdamUpdate(w, tf.zeros([5]), s, { learningRate: 1, t: 1 })).toThrow(/5 values/);
      } finally {
        tf.dispose([w, s.m, s.v]);
      }
    });
  });
}
