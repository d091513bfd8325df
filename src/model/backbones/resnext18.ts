/**
 * ResNeXt-18 as in the seed project: the ResNet-18 layout (./resnet18.ts) where each block's
 * second 3×3 conv becomes a grouped conv with mixed kernel sizes: 3/5/7/9 with 16/8/4/4 groups.
 * When there are too few channels for ≥ 4 channels per group, the group counts are halved (down
 * to 1 each), then the largest kernel sizes are dropped, until every group has ≥ 4 channels and the
 * channels divide evenly.
 */
import type { tf } from '../../engine/tf.ts';
import { scaled, type Builder } from '../layer-builder.ts';
import { MixedConv2D, type MixedConvPart } from '../layers/mixed-conv.ts';
import { resnetStem, STAGES, type ResNetOptions } from './resnet18.ts';

const KERNELS = [3, 5, 7, 9];
const GROUPS = [16, 8, 4, 4];

/** The grouped-conv parts for `channels` (see the module comment for the halving rule). */
export function resnextParts(channels: number, minPerGroup = 4): MixedConvPart[] {
  let counts = [...GROUPS];
  const total = () => counts.reduce((s, c) => s + c, 0);
  while (channels / total() < minPerGroup || channels % total() !== 0) {
    if (counts.some((c) => c > 1)) counts = counts.map((c) => Math.max(1, c / 2));
    else if (counts.length > 1) counts.pop();
    else break;
  }
  const cg = channels / total();
  return counts.map((g, i) => ({ channels: g * cg, kernel: KERNELS[i]!, groups: g }));
}

function resnextBlock(
  b: Builder,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  project: boolean,
  name: string,
): tf.SymbolicTensor {
  let y = b.relu(b.convBn(x, filters, 3, stride, `${name}_a`), `${name}_a_relu`);
  y = new MixedConv2D({
    parts: resnextParts(filters),
    seed: b.nextSeed() * 1000,
    kernelInit: b.kernelInit,
    name: b.name(`${name}_b_mixconv`),
  }).apply(y) as tf.SymbolicTensor;
  y = b.bn(y, `${name}_b_bn`);
  const short = project ? b.convBn(x, filters, 1, stride, `${name}_short`) : x;
  return b.relu(b.add([short, y], `${name}_add`), `${name}_out`);
}

export function resnext18(b: Builder, input: tf.SymbolicTensor, options: ResNetOptions = {}): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = resnetStem(b, input, width);
  STAGES.forEach(([f, s], i) => {
    const filters = scaled(f, width);
    x = resnextBlock(b, x, filters, s, true, `s${i + 1}b1`);
    x = resnextBlock(b, x, filters, 1, false, `s${i + 1}b2`);
  });
  return x;
}
