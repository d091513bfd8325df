/**
 * SGD with optional (Nesterov) momentum, PyTorch convention:
 *   v ← μ·v + g;  step = g + μ·v (Nesterov) or v;  w ← w − lr·step.
 */
import type { tf } from '../../engine/tf.ts';
import { TrainOptimizer, type OptimizerArgs } from './base.ts';
import { fusedSgdUpdate } from '../../engine/ops/fused-sgd/fused-sgd.ts';

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
  /** One fused update per variable (src/engine/ops/fused-sgd/fused-sgd.ts: in place on the native engine). */
  protected update(v: tf.Variable, g: tf.Tensor): void {
    const buf = this.momentum === 0 ? undefined : this.slot(v, 'momentum');
    fusedSgdUpdate(v, g, buf, { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
