/**
 * MixNet-18: our 18-layer member of the MixNet family (Tan & Le 2019, "MixConv"): the ResNet-18
 * stem and stage layout (./resnet18.ts), where each block is
 * 1×1 conv → BN → ReLU → mixed depthwise conv (kernels 3/5/7/9 over equal channel splits, the
 * block's stride) → BN → ReLU → 1×1 conv → BN, + shortcut (1×1 conv+BN projection in the first
 * block of each stage), → ReLU.
 */
import type { tf } from '../../engine/tf.ts';
import { scaled, type Builder } from '../layer-builder.ts';
import { MixedConv2D, type MixedConvPart } from '../layers/mixed-conv.ts';
import { resnetStem, STAGES, type ResNetOptions } from './resnet18.ts';

/** Depthwise parts: channels split as evenly as possible over kernels 3/5/7/9 (fewer when < 4 channels). */
export function mixDepthwiseParts(channels: number): MixedConvPart[] {
  const kernels = [3, 5, 7, 9].slice(0, Math.max(1, Math.min(4, channels)));
  const base = Math.floor(channels / kernels.length);
  return kernels.map((k, i) => {
    const c = base + (i < channels - base * kernels.length ? 1 : 0);
    return { channels: c, kernel: k, groups: c };
  });
}

function mixBlock(
  b: Builder,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  project: boolean,
  name: string,
): tf.SymbolicTensor {
  let y = b.relu(b.convBn(x, filters, 1, 1, `${name}_expand`), `${name}_expand_relu`);
  y = new MixedConv2D({
    parts: mixDepthwiseParts(filters),
    strides: stride,
    seed: b.nextSeed() * 1000,
    kernelInit: b.kernelInit,
    name: b.name(`${name}_mixdw`),
  }).apply(y) as tf.SymbolicTensor;
  y = b.relu(b.bn(y, `${name}_mixdw_bn`), `${name}_mixdw_relu`);
  y = b.convBn(y, filters, 1, 1, `${name}_project`);
  const short = project ? b.convBn(x, filters, 1, stride, `${name}_short`) : x;
  return b.relu(b.add([short, y], `${name}_add`), `${name}_out`);
}

export function mixnet18(b: Builder, input: tf.SymbolicTensor, options: ResNetOptions = {}): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = resnetStem(b, input, width);
  STAGES.forEach(([f, s], i) => {
    const filters = scaled(f, width);
    x = mixBlock(b, x, filters, s, true, `s${i + 1}b1`);
    x = mixBlock(b, x, filters, 1, false, `s${i + 1}b2`);
  });
  return x;
}
