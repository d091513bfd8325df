/**
 * MixedConv2D: one convolution whose channels are split into parts, each part convolved with its
 * own kernel size as a grouped convolution (MixNet's mixed depthwise conv when groups = channels,
 * the seed's ResNeXt-18 "mixed kernel group conv" otherwise). Output channels = input channels
 * unless a grouped part says otherwise with `inChannels` (a group-consistently pruned input, see
 * src/prune), no bias, 'same' padding. tfjs has no grouped conv, so each group is a slice → conv2d → concat
 * inside `call` (gradients flow through slice/concat).
 */
import { tf } from '../../engine/tf.ts';
import { depthwiseInitializer, kernelInitializer } from '../layer-builder.ts';

export interface MixedConvPart {
  /** Output channels of this part (and input channels unless `inChannels` is set). */
  channels: number;
  /**
   * Input channels of this part when they differ from `channels` (grouped parts only; divisible
   * by `groups`, every group reads inChannels / groups of them). Defaults to `channels`.
   */
  inChannels?: number;
  /** Square kernel size of this part. */
  kernel: number;
  /** Groups inside this part (channels % groups == 0); groups = channels means depthwise. */
  groups: number;
}

export interface MixedConv2DArgs {
  /** The parts, in channel order; their channels sum to the input channels. */
  parts: MixedConvPart[];
  /** Stride of every part. Defaults to 1. */
  strides?: number;
  /** Kernel initialisation, see BuilderOptions.kernelInit. Defaults to he_normal. */
  kernelInit?: 'he_normal' | 'torch';
  /** Seed of the he-normal initializer of part i is `seed + i + 1` (never 0: tfjs reads 0 as unseeded). Defaults to 0. */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class MixedConv2D extends tf.layers.Layer {
  static className = 'MixedConv2D';
  readonly parts: MixedConvPart[];
  readonly strides: number;
  readonly seed: number;
  readonly kernelInit: 'he_normal' | 'torch';
  private kernels: tf.LayerVariable[] = [];

  constructor(args: MixedConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    for (const p of args.parts) {
      if (p.channels % p.groups !== 0)
        throw new Error(`MixedConv2D: ${p.channels} channels are not divisible into ${p.groups} groups`);
      const cin = p.inChannels ?? p.channels;
      if (cin % p.groups !== 0)
        throw new Error(`MixedConv2D: ${cin} input channels are not divisible into ${p.groups} groups`);
      if (p.groups === p.channels && cin !== p.channels)
        throw new Error(
          `MixedConv2D: a depthwise part (groups = channels = ${p.channels}) must read as many input channels, received inChannels ${cin}`,
        );
    }
    this.parts = args.parts.map((p) => ({ ...p }));
    this.strides = args.strides ?? 1;
    this.seed = args.seed ?? 0;
    this.kernelInit = args.kernelInit ?? 'he_normal';
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const cin = shape[shape.length - 1];
    const total = this.parts.reduce((s, p) => s + (p.inChannels ?? p.channels), 0);
    if (cin !== total)
      throw new Error(`MixedConv2D ${this.name}: input has ${cin} channels but the parts cover ${total}`);
    this.kernels = this.parts.map((p, i) => {
      const depthwise = p.groups === p.channels;
      const kshape = depthwise
        ? [p.kernel, p.kernel, p.channels, 1]
        : [p.kernel, p.kernel, (p.inChannels ?? p.channels) / p.groups, p.channels];
      const init = depthwise
        ? depthwiseInitializer(this.kernelInit, this.seed + i + 1, p.kernel)
        : kernelInitializer(this.kernelInit, this.seed + i + 1);
      return this.addWeight(`kernel_${i}`, kshape, 'float32', init);
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const down = (v: number | null) => (v === null ? null : Math.ceil(v / this.strides));
    return [s[0], down(s[1]), down(s[2]), this.parts.reduce((t, p) => t + p.channels, 0)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const outs: tf.Tensor4D[] = [];
      let c0 = 0;
      this.parts.forEach((p, i) => {
        const cin = p.inChannels ?? p.channels;
        const xi = cin === x.shape[3] ? x : x.slice([0, 0, 0, c0], [-1, -1, -1, cin]);
        const k = this.kernels[i]!.read() as tf.Tensor4D;
        if (p.groups === p.channels) {
          outs.push(tf.depthwiseConv2d(xi, k, this.strides, 'same'));
        } else if (p.groups === 1) {
          outs.push(tf.conv2d(xi, k, this.strides, 'same'));
        } else {
          const cg = p.channels / p.groups;
          const ig = cin / p.groups;
          for (let g = 0; g < p.groups; g++) {
            const xg = xi.slice([0, 0, 0, g * ig], [-1, -1, -1, ig]);
            const kg = k.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]);
            outs.push(tf.conv2d(xg, kg, this.strides, 'same'));
          }
        }
        c0 += cin;
      });
      return outs.length === 1 ? outs[0]! : tf.concat(outs, 3);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      parts: this.parts.map((p) => ({ ...p })),
      strides: this.strides,
      seed: this.seed,
      kernelInit: this.kernelInit,
    };
  }
}
