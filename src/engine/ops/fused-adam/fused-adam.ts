/**
 * Fused Adam / AMSGrad update: one pass over the typed arrays computes, per element,
 *   w ← w·(1 − lr·wd)                                   (decoupled weight decay, when wd > 0)
 *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²;   AMSGrad: v̂ ← max(v̂, v), v̂ replaces v below
 *   w ← w − lr·(m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 * (the PyTorch convention; the same formula as src/train/optimizers/adam.ts). The unfused tfjs
 * formula costs ~12 elementwise kernels per variable, each a full pass with a fresh buffer; this
 * is one kernel, registered as `MlcPipeFusedAdam` for the wasm and cpu backends. It returns new
 * buffers [w, m, v(, v̂)] (no in-place writes, so tensors that share a variable's data are safe)
 * and `fusedAdamUpdate` assigns them to the variables. Other backends use the unfused formula.
 */
import { tf } from '../../tf.ts';
import { adamInPlace } from './native.ts';
import { FUSED_ADAM } from './name.ts';
import type { Attrs } from './attrs.ts';
import { cpuConfig } from './cpu.ts';
import { wasmConfig } from './wasm.ts';
import { NATIVE } from '../../native/backend.ts';

export { FUSED_ADAM };

/** Hyper-parameters of one step. */
export interface AdamStep {
  learningRate: number;
  /** β1. Defaults to 0.9. */
  beta1?: number;
  /** β2. Defaults to 0.999. */
  beta2?: number;
  /** ε. Defaults to 1e-8. */
  epsilon?: number;
  /** Step number t ≥ 1 of the bias corrections (after incrementing). */
  t: number;
  /** Decoupled weight decay applied to w before the step. Defaults to 0. */
  weightDecay?: number;
  /**
   * RAdam (src/train/optimizers/radam.ts): the rectification factor r scaling the step, or null
   * for an un-rectified step w ← w − lr·m̂. Defaults to plain Adam. The fused kernel of the native
   * backend takes it; on other backends a rectified step runs in tfjs ops.
   */
  rectification?: number | null;
}

/** The optimizer state of one variable; `vmax` present = AMSGrad. */
export interface AdamSlots {
  m: tf.Variable;
  v: tf.Variable;
  vmax?: tf.Variable;
}

for (const config of [wasmConfig, cpuConfig]) {
  if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
}

/** True when the active backend has the fused kernel (native, wasm, cpu). */
export function fusedAdamAvailable(): boolean {
  return tf.getKernel(FUSED_ADAM, tf.getBackend()) != null;
}

function attrsOf(step: AdamStep, amsgrad: boolean): Attrs {
  if (!(step.t >= 1)) throw new Error(`fusedAdamUpdate: step t must be ≥ 1, got ${step.t}`);
  return {
    lr: step.learningRate,
    beta1: step.beta1 ?? 0.9,
    beta2: step.beta2 ?? 0.999,
    epsilon: step.epsilon ?? 1e-8,
    t: step.t,
    weightDecay: step.weightDecay ?? 0,
    amsgrad,
    ...(step.rectification !== undefined ? { rectification: step.rectification } : {}),
  };
}

/**
 * One Adam/AMSGrad step of variable `w` with gradient `g`: updates `w` and the slots (assign).
 * Uses the fused kernel when the active backend has it, else the same formula in tfjs ops.
 * No tensors are left behind; call it inside or outside tf.tidy.
 */
export function fusedAdamUpdate(w: tf.Variable, g: tf.Tensor, slots: AdamSlots, step: AdamStep): void {
  const amsgrad = slots.vmax != null;
  const a = attrsOf(step, amsgrad);
  if (g.size !== w.size)
    throw new Error(`fusedAdamUpdate: gradient has ${g.size} values, variable ${w.name} has ${w.size}`);
  if (adamInPlace(w, g, slots, a)) return;
  const out = tf.tidy(() => {
    if (fusedAdamAvailable() && (a.rectification === undefined || tf.getBackend() === NATIVE)) {
      const inputs: Record<string, tf.Tensor> = {
        w,
        g: g.dtype === 'float32' ? g : g.toFloat(),
        m: slots.m,
        v: slots.v,
      };
      if (slots.vmax) inputs.vmax = slots.vmax;
      return tf.engine().runKernel(FUSED_ADAM, inputs, a as never) as unknown as tf.Tensor[];
    }
    return unfusedAdam(w, g, slots, a);
  });
  try {
    w.assign(out[0]!);
    slots.m.assign(out[1]!);
    slots.v.assign(out[2]!);
    if (slots.vmax) slots.vmax.assign(out[3]!);
  } finally {
    tf.dispose(out);
  }
}

/** The same step in plain tfjs ops: [w, m, v(, v̂)] (for backends without the fused kernel). */
function unfusedAdam(w: tf.Tensor, g: tf.Tensor, slots: AdamSlots, a: Attrs): tf.Tensor[] {
  const m = tf.add(tf.mul(slots.m, a.beta1), tf.mul(g, 1 - a.beta1));
  const v = tf.add(tf.mul(slots.v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
  const h = slots.vmax ? tf.maximum(slots.vmax, v) : v;
  const w0 = a.weightDecay > 0 ? tf.mul(w, 1 - a.lr * a.weightDecay) : w;
  const mHat = tf.div(m, 1 - a.beta1 ** a.t);
  const denom = tf.add(tf.sqrt(tf.div(h, 1 - a.beta2 ** a.t)), a.epsilon);
  const w1 =
    a.rectification === null
      ? tf.sub(w0, tf.mul(mHat, a.lr))
      : tf.sub(w0, tf.mul(tf.div(mHat, denom), a.lr * (a.rectification ?? 1)));
  return [w1, m, v, ...(slots.vmax ? [h] : [])];
}
