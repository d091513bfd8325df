/**
 * Shared building blocks for the backbones: a small builder that hands out deterministic layer
 * names and initializer seeds, and the conv → BN → activation unit every backbone uses.
 *
 * Conventions (the seed project's recipe): NHWC, convolutions without bias, he-normal kernels,
 * BatchNormalization with configurable momentum/epsilon. L2 regularisation is NOT attached to the
 * layers: `src/model/regularization.ts` adds it to the loss so conv kernels and BN gammas get
 * separate weights (`l2_conv`, `l2_gamma`).
 */
import { tf } from '../engine/tf.ts';
import { BatchNormalization } from './layers/batch-norm.ts';

type SymbolicTensor = tf.SymbolicTensor;

export interface BuilderOptions {
  /** Seed of the initializers (layer i gets seed·100003 + 1 + i; never 0, which tfjs reads as unseeded). Defaults to 0. */
  seed?: number;
  /** BatchNormalization momentum (Keras convention: moving = m·moving + (1−m)·batch). Defaults to 0.9 (= PyTorch 0.1). */
  bnMomentum?: number;
  /** BatchNormalization epsilon. Defaults to 1e-5. */
  bnEpsilon?: number;
  /**
   * Kernel initialisation: `he_normal` (the seed's recipe) or `torch` (PyTorch's defaults:
   * U(±1/√fan_in) for conv and dense kernels and dense biases; a depthwise conv's fan_in is k·k,
   * see depthwiseInitializer). Defaults to he_normal.
   */
  kernelInit?: KernelInit;
}

export type KernelInit = 'he_normal' | 'torch';

/** The kernel initializer for `init` with `seed` (never 0: tfjs reads 0 as unseeded). */
export function kernelInitializer(init: KernelInit, seed: number): ReturnType<typeof tf.initializers.heNormal> {
  // VarianceScaling uniform: limit = √(3·scale/fan_in); scale 1/3 gives PyTorch's U(±1/√fan_in).
  return init === 'torch'
    ? tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed })
    : tf.initializers.heNormal({ seed });
}

/**
 * The initializer of a depthwise kernel ([k, k, C, multiplier]) for `init`. PyTorch's fan-in of a
 * depthwise conv (groups = channels) is k·k, one input channel per filter, so `torch` draws
 * U(±1/k); tfjs's fan-in of that shape counts C·k·k, which would draw √C too narrow. `he_normal`
 * keeps that C·k·k fan-in: it is Keras's DepthwiseConv2D behaviour, the seed's recipe.
 */
export function depthwiseInitializer(
  init: KernelInit,
  seed: number,
  kernel: number,
): ReturnType<typeof tf.initializers.heNormal> {
  return init === 'torch'
    ? tf.initializers.randomUniform({ minval: -1 / kernel, maxval: 1 / kernel, seed })
    : tf.initializers.heNormal({ seed });
}

/** Hands out unique layer names and per-layer initializer seeds, in build order. */
export class Builder {
  readonly bnMomentum: number;
  readonly bnEpsilon: number;
  readonly kernelInit: KernelInit;
  private seed: number;
  private counts = new Map<string, number>();

  constructor(options: BuilderOptions = {}) {
    // tfjs treats a seed of 0 as "no seed" (random): start at 1, and space runs apart by seed.
    this.seed = Math.abs(options.seed ?? 0) * 100_003 + 1;
    this.bnMomentum = options.bnMomentum ?? 0.9;
    this.bnEpsilon = options.bnEpsilon ?? 1e-5;
    this.kernelInit = options.kernelInit ?? 'he_normal';
  }

  /** A fresh seed for the next initializer. */
  nextSeed(): number {
    return this.seed++;
  }

  /** `prefix` the first time, then `prefix_1`, `prefix_2`, … */
  name(prefix: string): string {
    const n = this.counts.get(prefix) ?? 0;
    this.counts.set(prefix, n + 1);
    return n === 0 ? prefix : `${prefix}_${n}`;
  }

  /** The next conv kernel initializer (he-normal or PyTorch's, see `kernelInit`). */
  heNormal(): ReturnType<typeof tf.initializers.heNormal> {
    return kernelInitializer(this.kernelInit, this.nextSeed());
  }

  /**
   * PyTorch-style padding for a strided k×k conv: k//2 zeros each side, then a `valid` conv (TF's
   * `same` would pad asymmetrically). Unstrided or 1×1 convs use `same` and no pad layer.
   */
  private stridedPad(
    x: SymbolicTensor,
    kernel: number,
    stride: number,
    name: string,
  ): { y: SymbolicTensor; padding: 'same' | 'valid' } {
    if (stride <= 1 || kernel <= 1) return { y: x, padding: 'same' };
    const p = Math.floor(kernel / 2);
    const y = tf.layers
      .zeroPadding2d({
        padding: [
          [p, p],
          [p, p],
        ],
        name: this.name(`${name}_pad`),
      })
      .apply(x) as SymbolicTensor;
    return { y, padding: 'valid' };
  }

  /** 2-D convolution without bias. Strided convs pad explicitly like PyTorch (k//2 each side). */
  conv(x: SymbolicTensor, filters: number, kernel: number, stride: number, name: string): SymbolicTensor {
    const { y, padding } = this.stridedPad(x, kernel, stride, name);
    return tf.layers
      .conv2d({
        filters,
        kernelSize: kernel,
        strides: stride,
        padding,
        useBias: false,
        kernelInitializer: this.heNormal(),
        name: this.name(name),
      })
      .apply(y) as SymbolicTensor;
  }

  /** Depthwise 3-D convolution without bias (PyTorch-style padding when strided). */
  depthwise(x: SymbolicTensor, kernel: number, stride: number, name: string): SymbolicTensor {
    const { y, padding } = this.stridedPad(x, kernel, stride, name);
    return tf.layers
      .depthwiseConv2d({
        kernelSize: kernel,
        strides: stride,
        padding,
        useBias: false,
        depthwiseInitializer: depthwiseInitializer(this.kernelInit, this.nextSeed(), kernel),
        name: this.name(name),
      })
      .apply(y) as SymbolicTensor;
  }

  bn(x: SymbolicTensor, name: string): SymbolicTensor {
    return new BatchNormalization({
      axis: -1,
      momentum: this.bnMomentum,
      epsilon: this.bnEpsilon,
      name: this.name(name),
    }).apply(x) as SymbolicTensor;
  }

  relu(x: SymbolicTensor, name: string): SymbolicTensor {
    return tf.layers.reLU({ name: this.name(name) }).apply(x) as SymbolicTensor;
  }

  relu6(x: SymbolicTensor, name: string): SymbolicTensor {
    return tf.layers.reLU({ maxValue: 6, name: this.name(name) }).apply(x) as SymbolicTensor;
  }

  add(xs: SymbolicTensor[], name: string): SymbolicTensor {
    return tf.layers.add({ name: this.name(name) }).apply(xs) as SymbolicTensor;
  }

  /** conv → BN (no activation). */
  convBn(x: SymbolicTensor, filters: number, kernel: number, stride: number, name: string): SymbolicTensor {
    return this.bn(this.conv(x, filters, kernel, stride, `${name}_conv`), `${name}_bn`);
  }

  /** 3×3/2 max pool with PyTorch's padding 1. Call it on non-negative input (after ReLU): zero padding then equals −∞ padding. */
  maxPool3s2(x: SymbolicTensor, name: string): SymbolicTensor {
    const y = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 1],
          [1, 1],
        ],
        name: this.name(`${name}_pad`),
      })
      .apply(x) as SymbolicTensor;
    return tf.layers
      .maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: this.name(name) })
      .apply(y) as SymbolicTensor;
  }
}

/** Scales a channel count by the width multiplier, keeping at least `min` channels. */
export function scaled(channels: number, width: number, min = 4): number {
  return Math.max(min, Math.round(channels * width));
}
