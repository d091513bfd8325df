/**
 * Split weight decay (the seed's recipe, after van Laarhoven 2017 and Luo et al. 2019): an L2 term
 * `l2_conv · Σ‖conv kernel‖²` over every convolution kernel and a separate `l2_gamma · Σ‖γ‖²` over
 * every BatchNormalization gamma. Added to the loss by the training loop instead of attaching layer
 * regularizers, so exactly these variables are reached (no Dense kernels, no biases, no betas).
 * Keras convention: `l2 · sum(w²)` (no ½).
 *
 * Network slimming's sparsity term (Liu et al. 2017, "Learning Efficient Convolutional Networks
 * through Network Slimming", §3.1, eq. 1): `l1_gamma · Σ|γ|` over the same gammas, differentiated
 * with the subgradient `l1_gamma · sign(γ)` (0 at γ = 0), which is what the paper's reference code
 * adds to the BN weights' gradients. Written as `l1_gamma · Σ γ·sign(γ)`: tf.sign's gradient is zero, so the value is the L1
 * norm and the gradient is exactly that subgradient (tf.abs' own gradient is −1 at γ = 0).
 */
import { tf } from '../engine/tf.ts';

const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MixedConv2D']);

export interface RegularizedVariables {
  /** Every convolution kernel (Conv2D, DepthwiseConv2D, MixedConv2D, …). */
  convKernels: tf.LayerVariable[];
  /** Every BatchNormalization gamma. */
  bnGammas: tf.LayerVariable[];
}

/** Finds the conv kernels and BN gammas of `model`. */
export function regularizedVariables(model: tf.LayersModel): RegularizedVariables {
  const convKernels: tf.LayerVariable[] = [];
  const bnGammas: tf.LayerVariable[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    for (const w of layer.trainableWeights) {
      const short = w.originalName.split('/').pop() ?? '';
      if (CONV_CLASSES.has(cls) && /kernel/.test(short)) convKernels.push(w);
      else if (cls === 'BatchNormalization' && short === 'gamma') bnGammas.push(w);
    }
  }
  return { convKernels, bnGammas };
}

export interface L2Options {
  /** L2 weight on conv kernels. Defaults to 5e-4. */
  l2Conv?: number;
  /** L2 weight on BN gammas. Defaults to 1e-5. */
  l2Gamma?: number;
  /** L1 (network-slimming sparsity) weight on BN gammas, subgradient sign(γ). Defaults to 0. */
  l1Gamma?: number;
}

/** The L2 (+ L1 on gammas) penalty as a scalar (call inside tf.tidy / a gradient function). */
export function l2Penalty(vars: RegularizedVariables, options: L2Options = {}): tf.Scalar {
  const l2Conv = options.l2Conv ?? 5e-4;
  const l2Gamma = options.l2Gamma ?? 1e-5;
  const l1Gamma = options.l1Gamma ?? 0;
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    if (l2Conv > 0) for (const v of vars.convKernels) total = total.add(tf.sum(tf.square(v.read())).mul(l2Conv));
    if (l2Gamma > 0) for (const v of vars.bnGammas) total = total.add(tf.sum(tf.square(v.read())).mul(l2Gamma));
    if (l1Gamma > 0) {
      for (const v of vars.bnGammas) {
        const g = v.read();
        // sign(γ) enters as a constant: value Σ|γ|, gradient sign(γ).
        const sign = tf.sign(g);
        total = total.add(tf.sum(tf.mul(g, sign)).mul(l1Gamma));
      }
    }
    return total;
  });
}
