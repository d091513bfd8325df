/**
 * ResNet-18 as in the seed project and `shared/reference/torch_reference.py`: 3×3 stride-2 stem
 * conv + BN, ReLU, 3×3/2 max pool, then 4 stages × 2 basic blocks (64/128/256/512 × width).
 * The first block of every stage has a 1×1 conv+BN projection shortcut (the reference projects
 * there even when the shape does not change); the second block uses the identity.
 *
 * Porting note: the reference applies max pool before ReLU; ReLU and max pool commute, and doing
 * ReLU first lets zero padding stand in for PyTorch's −∞ pool padding.
 */
import type { tf } from '../../engine/tf.ts';
import { Builder, scaled } from '../layer-builder.ts';

export interface ResNetOptions {
  /** Channel multiplier (1 = 64/128/256/512). Defaults to 1. */
  width?: number;
}

/** Stage widths of every 18-layer backbone here. */
export const STAGES: ReadonlyArray<[filters: number, stride: number]> = [
  [64, 1],
  [128, 2],
  [256, 2],
  [512, 2],
];

/** A basic block: relu(shortcut(x) + bn(conv3(relu(bn(conv3(x)))))). */
export function basicBlock(
  b: Builder,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  project: boolean,
  name: string,
): tf.SymbolicTensor {
  let y = b.relu(b.convBn(x, filters, 3, stride, `${name}_a`), `${name}_a_relu`);
  y = b.convBn(y, filters, 3, 1, `${name}_b`);
  const short = project ? b.convBn(x, filters, 1, stride, `${name}_short`) : x;
  return b.relu(b.add([short, y], `${name}_add`), `${name}_out`);
}

/** The stem shared by the ResNet-family backbones: conv3×3/2 + BN + ReLU + max pool 3×3/2. */
export function resnetStem(b: Builder, x: tf.SymbolicTensor, width: number): tf.SymbolicTensor {
  const y = b.relu(b.convBn(x, scaled(64, width), 3, 2, 'stem'), 'stem_relu');
  return b.maxPool3s2(y, 'stem_pool');
}

export function resnet18(b: Builder, input: tf.SymbolicTensor, options: ResNetOptions = {}): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = resnetStem(b, input, width);
  STAGES.forEach(([f, s], i) => {
    const filters = scaled(f, width);
    x = basicBlock(b, x, filters, s, true, `s${i + 1}b1`);
    x = basicBlock(b, x, filters, 1, false, `s${i + 1}b2`);
  });
  return x;
}
