import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { Adam, getOptimizer, RAdam, Sgd, type TrainOptimizer } from '../../src/train/optimizers/index.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const GS = [0.5, -0.2, 0.3, 0.1, -0.4, 0.25, 0.05, -0.1];

/** Runs `opt` on a scalar variable starting at w0 with the gradient sequence `gs`; returns w after each step. */
function run(opt: TrainOptimizer, gs: number[], w0 = 1): number[] {
  const v = tf.variable(tf.tensor1d([w0]));
  const out: number[] = [];
  for (const g of gs) {
    const gt = tf.tensor1d([g]);
    opt.applyGradients([gt], [v], ['w']);
    gt.dispose();
    out.push(v.dataSync()[0]!);
  }
  v.dispose();
  opt.dispose();
  return out;
}

describe('SGD', () => {
  it('momentum and Nesterov match a hand computation', () => {
    const lr = 0.1;
    const mu = 0.9;
    let w = 1;
    let b = 0;
    let wn = 1;
    let bn = 0;
    const plain: number[] = [];
    const nest: number[] = [];
    for (const g of GS.slice(0, 3)) {
      b = mu * b + g;
      w -= lr * b;
      plain.push(w);
      bn = mu * bn + g;
      wn -= lr * (g + mu * bn);
      nest.push(wn);
    }
    // by hand, step 2 plain: b = .9·.5 − .2 = .25, w = 1 − .05 − .025 = .925
    expect(plain[1]).toBeCloseTo(0.925, 6);
    run(new Sgd({ learningRate: lr, momentum: mu }), GS.slice(0, 3)).forEach((v, i) =>
      expect(v).toBeCloseTo(plain[i]!, 6),
    );
    run(new Sgd({ learningRate: lr, momentum: mu, nesterov: true }), GS.slice(0, 3)).forEach((v, i) =>
      expect(v).toBeCloseTo(nest[i]!, 6),
    );
  });
});

describe('Adam / AMSGrad', () => {
  const ref = (gs: number[], ams: boolean, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8) => {
    let [w, m, v, vmax] = [1, 0, 0, 0];
    return gs.map((g, i) => {
      const t = i + 1;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      vmax = Math.max(vmax, v);
      const vv = ams ? vmax : v;
      w -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(vv / (1 - b2 ** t)) + eps);
      return w;
    });
  };
  it('Adam step 1 moves by lr·sign(g) (hand)', () => {
    expect(run(new Adam({ learningRate: 0.01 }), [0.5])[0]).toBeCloseTo(0.99, 6);
  });
  it('Adam matches the reference recursion', () => {
    run(new Adam({ learningRate: 0.01 }), GS).forEach((v, i) => expect(v).toBeCloseTo(ref(GS, false)[i]!, 5));
  });
  it('AMSGrad keeps the max of v and differs from Adam once v shrinks', () => {
    const gs = [1.0, 0.01, 0.01, 0.01];
    const ams = run(getOptimizer({ name: 'amsgrad', learningRate: 0.01, beta2: 0.5 }), gs);
    ams.forEach((v, i) => expect(v).toBeCloseTo(ref(gs, true, 0.01, 0.9, 0.5)[i]!, 5));
    const adam = ref(gs, false, 0.01, 0.9, 0.5);
    expect(Math.abs(ams[3]! - adam[3]!)).toBeGreaterThan(1e-3);
  });
});

describe('RAdam', () => {
  it('rectification starts when ρt > 4 (t = 5 for β2 = 0.999)', () => {
    const r = new RAdam();
    // ρ∞ = 1999; ρ4 = 1999 − 8·.999⁴/(1 − .999⁴) ≈ 3.996, ρ5 ≈ 4.995
    expect(r.rectification(4).r).toBeNull();
    expect(r.rectification(4).rho).toBeCloseTo(1999 - (8 * 0.999 ** 4) / (1 - 0.999 ** 4), 6);
    expect(r.rectification(5).r).not.toBeNull();
  });
  it('first steps vs a hand computation: un-rectified = lr·m̂, then rectified Adam', () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    // step 1 by hand: m̂ = g = 0.5 → w = 1 − 0.01·0.5 = 0.995
    const got = run(new RAdam({ learningRate: lr }), GS);
    expect(got[0]).toBeCloseTo(0.995, 6);
    // step 2: m = .9·.05 + .1·(−.2) = .025; m̂ = .025/.19 → w = .995 − .01·.025/.19
    expect(got[1]).toBeCloseTo(0.995 - (0.01 * 0.025) / 0.19, 6);
    let [w, m, v] = [1, 0, 0];
    const rhoInf = 2 / (1 - b2) - 1;
    GS.forEach((g, i) => {
      const t = i + 1;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const mh = m / (1 - b1 ** t);
      const rho = rhoInf - (2 * t * b2 ** t) / (1 - b2 ** t);
      if (rho > 4) {
        const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
        w -= (lr * r * mh) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
      } else w -= lr * mh;
      expect(got[i]).toBeCloseTo(w, 5);
    });
  });
});

describe('state and weight decay', () => {
  it('getState/setState resumes exactly', () => {
    const full = run(new RAdam({ learningRate: 0.01 }), GS);
    const a = new RAdam({ learningRate: 0.01 });
    const v = tf.variable(tf.tensor1d([1]));
    for (const g of GS.slice(0, 4)) tf.tidy(() => a.applyGradients([tf.tensor1d([g])], [v], ['w']));
    const state = a.getState();
    a.dispose();
    const b = new RAdam({ learningRate: 0.01 });
    b.setState(state);
    for (const g of GS.slice(4)) tf.tidy(() => b.applyGradients([tf.tensor1d([g])], [v], ['w']));
    expect(v.dataSync()[0]).toBeCloseTo(full[full.length - 1]!, 6);
    expect(b.iterations).toBe(GS.length);
    b.dispose();
    v.dispose();
  });
  it('decoupled weight decay shrinks kernels (rank ≥ 2) only', () => {
    const k = tf.variable(tf.ones([1, 1]));
    const bias = tf.variable(tf.ones([1]));
    const opt = new Sgd({ learningRate: 0.1, momentum: 0, weightDecay: 0.5 });
    tf.tidy(() => opt.applyGradients([tf.zeros([1, 1]), tf.zeros([1])], [k, bias], ['k', 'b']));
    expect(k.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.5, 6);
    expect(bias.dataSync()[0]).toBe(1);
    tf.dispose([k, bias]);
  });
  it('unknown optimizer names suggest the nearest', () => {
    expect(() => getOptimizer('radma')).toThrow('unknown optimizer "radma"; valid: sgd, adam, amsgrad, radam');
  });
});
