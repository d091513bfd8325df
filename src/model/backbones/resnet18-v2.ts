/**
 * Pre-activation ResNet-18 (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
 * same stem and stage layout as ./resnet18.ts, but each block is
 * x → BN → ReLU → [projection shortcut from here] → conv3×3(stride) → BN → ReLU → conv3×3 → + shortcut,
 * with a final BN → ReLU after the last stage.
 */
import type { tf } from '../../engine/tf.ts';
import { scaled, type Builder } from '../layer-builder.ts';
import { resnetStem, STAGES, type ResNetOptions } from './resnet18.ts';

function preactBlock(
  b: Builder,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  project: boolean,
  name: string,
): tf.SymbolicTensor {
  const pre = b.relu(b.bn(x, `${name}_pre_bn`), `${name}_pre_relu`);
  const short = project ? b.conv(pre, filters, 1, stride, `${name}_short_conv`) : x;
  let y = b.conv(pre, filters, 3, stride, `${name}_a_conv`);
  y = b.relu(b.bn(y, `${name}_a_bn`), `${name}_a_relu`);
  y = b.conv(y, filters, 3, 1, `${name}_b_conv`);
  return b.add([short, y], `${name}_add`);
}

export function resnet18v2(b: Builder, input: tf.SymbolicTensor, options: ResNetOptions = {}): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = resnetStem(b, input, width);
  STAGES.forEach(([f, s], i) => {
    const filters = scaled(f, width);
    x = preactBlock(b, x, filters, s, true, `s${i + 1}b1`);
    x = preactBlock(b, x, filters, 1, false, `s${i + 1}b2`);
  });
  return b.relu(b.bn(x, 'post_bn'), 'post_relu');
}
