/** The attributes of the fused Adam kernel, shared by its backends (./cpu.ts, ./wasm.ts, ./native.ts). */

/** Kernel attributes: the step's hyper-parameters with their defaults applied (./fused-adam.ts `attrsOf`). */
export interface Attrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  t: number;
  weightDecay: number;
  amsgrad: boolean;
  rectification?: number | null;
}

/** The per-step constants of the update: decay = 1 − lr·wd, step = lr/(1−β1ᵗ), rbc2 = 1/√(1−β2ᵗ). */
export function constants(a: Attrs): { decay: number; step: number; rbc2: number } {
  return {
    decay: 1 - a.lr * a.weightDecay,
    step: a.lr / (1 - a.beta1 ** a.t),
    rbc2: 1 / Math.sqrt(1 - a.beta2 ** a.t),
  };
}

/** The kernel inputs, in order; `vmax` only for AMSGrad. */
export const inputNames = (amsgrad: boolean) => ['w', 'g', 'm', 'v', ...(amsgrad ? ['vmax'] : [])];
