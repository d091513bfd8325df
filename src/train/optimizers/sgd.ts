/**
 * SGD with optional (Nesterov) momentum, PyTorch convention:
 *   v ← μ·v + g;  step = g + μ·v (Nesterov) or v;  w ← w − lr·step.
 */
import type { tf } from '../../engine/tf.ts';
import { TrainOptimizer, type OptimizerArgs } from './base.ts';

export interface SgdArgs extends OptimizerArgs {
  /** Momentum μ in [0, 1). Defaults to 0.9. */
  momentum?: number;
  /** Nesterov momentum. Defaults to false. */
  nesterov?: boolean;
}

export class Sgd extends TrainOptimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(args: SgdArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.9;
    this.nesterov = args.nesterov ?? false;
  }
  protected update(v: tf.Variable, g: tf.Tensor): void {
    if (this.momentum === 0) {
      v.assign(v.sub(g.mul(this.learningRate)));
      return;
    }
    const buf = this.slot(v, 'momentum');
    const nb = buf.mul(this.momentum).add(g);
    buf.assign(nb);
    const step = this.nesterov ? g.add(nb.mul(this.momentum)) : nb;
    v.assign(v.sub(step.mul(this.learningRate)));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
