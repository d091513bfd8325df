/**
 * Adam (Kingma & Ba 2015) with the AMSGrad option (Reddi et al. 2018), PyTorch convention:
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  AMSGrad: v̄ ← max(v̄, v) and v̄ replaces v below;
 *   w ← w − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε).
 */
import { fusedAdamUpdate } from '../../engine/ops/fused-adam/fused-adam.ts';
import { tf } from '../../engine/tf.ts';
import { TrainOptimizer, type OptimizerArgs } from './base.ts';

export interface AdamArgs extends OptimizerArgs {
  /** β1. Defaults to 0.9. */
  beta1?: number;
  /** β2. Defaults to 0.999. */
  beta2?: number;
  /** ε. Defaults to 1e-8. */
  epsilon?: number;
  /** Use the running maximum of v (AMSGrad). Defaults to false. */
  amsgrad?: boolean;
}

export class Adam extends TrainOptimizer {
  readonly name: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(args: AdamArgs = {}) {
    super(args);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-8;
    this.amsgrad = args.amsgrad ?? false;
  }
  /** One fused pass over w, g, m, v (and v̄) per variable (src/engine/ops/fused-adam/fused-adam.ts); RAdam passes its rectification. */
  protected update(w: tf.Variable, g: tf.Tensor, t: number): void {
    const slots = {
      m: this.slot(w, 'm'),
      v: this.slot(w, 'v'),
      ...(this.amsgrad ? { vmax: this.slot(w, 'vmax') } : {}),
    };
    fusedAdamUpdate(w, g, slots, {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      t,
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}
