/**
 * RAdam, rectified Adam (Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and
 * Beyond", Algorithm 2):
 *   ρ∞ = 2/(1−β2) − 1;   ρt = ρ∞ − 2t·β2^t / (1−β2^t)
 *   m̂ = m / (1−β1^t)
 *   if ρt > 4 (the paper's threshold; the variance of the adaptive rate is tractable):
 *     r = √((ρt−4)(ρt−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρt));   w ← w − lr · r · m̂ / (√(v/(1−β2^t)) + ε)
 *   else (the first few steps, un-rectified): w ← w − lr · m̂   (SGD with bias-corrected momentum)
 * With β2 = 0.999, ρt first exceeds 4 at t = 5.
 */
import type { tf } from '../../engine/tf.ts';
import { Adam, type AdamArgs } from './adam.ts';
import { fusedAdamUpdate } from '../../engine/ops/fused-adam/fused-adam.ts';

/** The rectification threshold on ρt. */
export const RADAM_THRESHOLD = 4;

export class RAdam extends Adam {
  override readonly name: string = 'radam';
  constructor(args: Omit<AdamArgs, 'amsgrad'> = {}) {
    super({ ...args, amsgrad: false });
  }
  /** ρt and the rectification factor r (null when un-rectified) for step t. */
  rectification(t: number): { rho: number; r: number | null } {
    const b2t = this.beta2 ** t;
    const rhoInf = 2 / (1 - this.beta2) - 1;
    const rho = rhoInf - (2 * t * b2t) / (1 - b2t);
    if (rho <= RADAM_THRESHOLD) return { rho, r: null };
    return { rho, r: Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) };
  }
  /** The moment updates and the (un)rectified step as one fused update (src/engine/ops/fused-adam/fused-adam.ts). */
  protected override update(w: tf.Variable, g: tf.Tensor, t: number): void {
    const slots = { m: this.slot(w, 'm'), v: this.slot(w, 'v') };
    fusedAdamUpdate(w, g, slots, {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      t,
      rectification: this.rectification(t).r,
    });
  }
}
