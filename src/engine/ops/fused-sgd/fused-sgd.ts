/**
 * SGD with (Nesterov) momentum as one update per variable (PyTorch convention, the formula of
 * src/train/optimizers/sgd.ts):
 *   buf ← μ·buf + g;  w ← w − lr·(g + μ·buf if Nesterov else buf);   no momentum: w ← w − lr·g
 * The native backend writes it in place in one pass (native/src/optim.cc) when w and buf own their
 * buffers; elsewhere, and when they don't, it runs in tfjs ops.
 */
import { tf } from '../../tf.ts';
import { sgdInPlace } from './native.ts';

export { FUSED_SGD } from './name.ts';

export interface SgdStep {
  learningRate: number;
  /** μ; 0 = plain SGD (no buffer). */
  momentum: number;
  nesterov: boolean;
}

/** One SGD step of `w` (and its momentum buffer `buf` when momentum > 0). */
export function fusedSgdUpdate(w: tf.Variable, g: tf.Tensor, buf: tf.Variable | undefined, s: SgdStep): void {
  if (sgdInPlace(w, g, s.momentum > 0 ? buf : undefined, s)) return;
  tf.tidy(() => {
    if (s.momentum === 0 || !buf) {
      w.assign(w.sub(g.mul(s.learningRate)));
      return;
    }
    const nb = buf.mul(s.momentum).add(g);
    buf.assign(nb);
    const step = s.nesterov ? g.add(nb.mul(s.momentum)) : nb;
    w.assign(w.sub(step.mul(s.learningRate)));
  });
}
