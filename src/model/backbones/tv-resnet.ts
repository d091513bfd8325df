/**
 * torchvision's ResNet-18/34/50 (`torchvision.models.resnet`, v1.5: the stride of a bottleneck is on
 * its 3×3 conv), layer for layer, so a torchvision state dict loads onto it (src/model/import/):
 * 7×7/2 conv (pad 3) + BN + ReLU, 3×3/2 max pool (pad 1), four stages of basic blocks (18, 34) or
 * bottlenecks (50, expansion 4), a 1×1 conv + BN `downsample` where the stride or the width changes.
 *
 * Layer names are the PyTorch module paths with `.` written `_` (`layer1.0.conv1` →
 * `layer1_0_conv1`, `layer2.0.downsample.0` → `layer2_0_downsample_0`), so a state-dict key maps
 * onto its layer without a table. Every padding is PyTorch's: explicit symmetric zeros and a
 * `valid` conv when strided (Builder.conv), never TF's asymmetric `same`.
 *
 * Porting note: torchvision applies max pool to the ReLU's output too; zero padding equals its −∞
 * padding there because the input is non-negative.
 */
import type { tf } from '../../engine/tf.ts';
import { scaled, type Builder } from '../layer-builder.ts';

type Block = 'basic' | 'bottleneck';

/** Blocks per stage and block type of each depth (torchvision's `resnet18`, `resnet34`, `resnet50`). */
export const TV_RESNET_LAYOUTS = {
  18: { block: 'basic', layers: [2, 2, 2, 2] },
  34: { block: 'basic', layers: [3, 4, 6, 3] },
  50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
} as const satisfies Record<number, { block: Block; layers: readonly number[] }>;

const EXPANSION: Record<Block, number> = { basic: 1, bottleneck: 4 };

function convBn(
  b: Builder,
  x: tf.SymbolicTensor,
  filters: number,
  kernel: number,
  stride: number,
  conv: string,
  bn: string,
): tf.SymbolicTensor {
  return b.bn(b.conv(x, filters, kernel, stride, conv), bn);
}

/** torchvision's BasicBlock / Bottleneck at module path `p` (e.g. `layer1_0`). */
function block(
  b: Builder,
  x: tf.SymbolicTensor,
  kind: Block,
  planes: number,
  stride: number,
  p: string,
): tf.SymbolicTensor {
  const out = planes * EXPANSION[kind];
  const cin = x.shape[3] as number;
  let y: tf.SymbolicTensor;
  if (kind === 'basic') {
    y = b.relu(convBn(b, x, planes, 3, stride, `${p}_conv1`, `${p}_bn1`), `${p}_relu`);
    y = convBn(b, y, planes, 3, 1, `${p}_conv2`, `${p}_bn2`);
  } else {
    y = b.relu(convBn(b, x, planes, 1, 1, `${p}_conv1`, `${p}_bn1`), `${p}_relu`);
    y = b.relu(convBn(b, y, planes, 3, stride, `${p}_conv2`, `${p}_bn2`), `${p}_relu`);
    y = convBn(b, y, out, 1, 1, `${p}_conv3`, `${p}_bn3`);
  }
  const short =
    stride !== 1 || cin !== out ? convBn(b, x, out, 1, stride, `${p}_downsample_0`, `${p}_downsample_1`) : x;
  return b.relu(b.add([y, short], `${p}_add`), `${p}_relu`);
}

/** The backbone (everything before `avgpool`/`fc`) of torchvision's ResNet of `depth`. */
export function tvResnet(depth: keyof typeof TV_RESNET_LAYOUTS) {
  const { block: kind, layers } = TV_RESNET_LAYOUTS[depth];
  return (b: Builder, input: tf.SymbolicTensor, options: { width?: number } = {}): tf.SymbolicTensor => {
    const width = options.width ?? 1;
    let x = b.relu(convBn(b, input, scaled(64, width), 7, 2, 'conv1', 'bn1'), 'relu');
    x = b.maxPool3s2(x, 'maxpool');
    layers.forEach((n, i) => {
      const planes = scaled(64 * 2 ** i, width);
      for (let j = 0; j < n; j++) x = block(b, x, kind, planes, j === 0 && i > 0 ? 2 : 1, `layer${i + 1}_${j}`);
    });
    return x;
  };
}
