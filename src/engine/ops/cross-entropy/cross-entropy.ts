/**
 * The masked, weighted cross-entropy of one head as one kernel with a one-kernel gradient, where
 * the backend has it (native: native/src/loss.cc). The composed tfjs formula of
 * src/train/losses/crossentropy.ts costs ~35 kernel calls per head forward and backward (one-hot,
 * log-softmax, mask, class-weight gather, where, sums and their gradients, plus the tape's clones);
 * PyTorch runs `cross_entropy` / `binary_cross_entropy_with_logits` as one kernel each way.
 *
 *   loss = Σ_valid cw[y_i]·w_i·ℓ_i / max(1, #valid)          (labels −1 are masked out)
 *   softmax: ℓ_i = −Σ_k t_ik·log softmax(z_i)_k,  t = (1 − ε)·onehot(y) + ε/K
 *   sigmoid: ℓ_i = −t_i·log σ(z_i) − (1 − t_i)·log(1 − σ(z_i)),  t = (1 − ε)·y + ε/2
 *   ∂loss/∂z_i = cw[y_i]·w_i/n·(p_i − t_i) on valid rows, 0 on masked rows
 *
 * The kernel returns the gradient (for dy = 1) beside the loss; the tape saves only it, and the
 * backward pass is dy·that, one multiply. Only call {@link fusedCrossEntropy} when
 * {@link fusedCrossEntropyAvailable}.
 */
import { tf } from '../../tf.ts';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { CROSS_ENTROPY } from './name.ts';

export { CROSS_ENTROPY };

export interface FusedCrossEntropyArgs {
  /** Softmax over K ≥ 2 logits per row, or a sigmoid (binary) head of one logit per row. */
  softmax: boolean;
  /** Label smoothing ε in [0, 1). Defaults to 0. */
  labelSmoothing?: number;
  /** Weight per class, indexed by the label (K entries for softmax, [w0, w1] for sigmoid). Defaults to none (all 1). */
  classWeights?: readonly number[];
  /** Per-sample constant weights [N] (mixup's λ); not differentiated. Defaults to none (all 1). */
  sampleWeights?: tf.Tensor1D;
  /**
   * Native: compute with ATen tensor ops even on CPU, the path a CUDA build takes (CPU runs one
   * loop over the rows otherwise); lets the tests check that path here. Defaults to false.
   */
  atenOps?: boolean;
}

function gradFunc(dy: Tensor | Tensor[], saved: Tensor[]): Record<string, () => Tensor> {
  const [dz] = saved as [Tensor];
  const dLoss = Array.isArray(dy) ? dy[0] : dy;
  const n = dz.shape[0]!;
  return {
    logits: () => (dLoss ? tf.mul(dLoss, dz) : tf.zerosLike(dz)),
    // Labels and sample weights are constants; the tape prunes them unless a caller differentiates them.
    labels: () => tf.zeros([n]),
    sampleWeights: () => tf.zeros([n]),
  };
}

let registered = false;

function registerGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: CROSS_ENTROPY,
    outputsToSave: [false, true],
    gradFunc: gradFunc as GradConfig['gradFunc'],
  });
}

/** True when the active backend runs the head cross-entropy as one kernel. */
export function fusedCrossEntropyAvailable(): boolean {
  return tf.getKernel(CROSS_ENTROPY, tf.getBackend()) != null;
}

/** The scalar loss of one head: `logits` [N, K] (K = 1 for sigmoid), `labels` [N] (−1 = unknown). */
export function fusedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, args: FusedCrossEntropyArgs): tf.Scalar {
  registerGradient();
  const inputs: Record<string, Tensor> = { logits, labels };
  if (args.sampleWeights) inputs.sampleWeights = args.sampleWeights;
  const attrs = {
    softmax: args.softmax,
    labelSmoothing: args.labelSmoothing ?? 0,
    classWeights: [...(args.classWeights ?? [])],
    atenOps: args.atenOps ?? false,
  };
  const [loss, dz] = tf.engine().runKernel(CROSS_ENTROPY, inputs, attrs) as Tensor[];
  dz!.dispose();
  return loss as tf.Scalar;
}
