/**
 * torchvision's MobileNetV2 (`torchvision.models.mobilenet_v2`), layer for layer, so its state dict
 * loads onto it (src/model/import/): `features.0` a 3×3/2 conv + BN + ReLU6 (32), seventeen
 * inverted residuals `features.1`…`features.17` (expand 1×1 + BN + ReLU6 unless t = 1, depthwise
 * 3×3 + BN + ReLU6, linear 1×1 projection + BN; residual add when stride 1 and channels match),
 * `features.18` a 1×1 conv + BN + ReLU6 to 1280. Channels are torchvision's
 * `_make_divisible(c·width, 8)`.
 *
 * Layer names are the module paths with `.` written `_` (`features.2.conv.1.0` →
 * `features_2_conv_1_0`). Strided convs pad like PyTorch (explicit symmetric zeros + `valid`).
 */
import type { tf } from '../../engine/tf.ts';
import type { Builder } from '../layer-builder.ts';
import { MOBILENET_V2_BLOCKS } from './mobilenet-v2.ts';

/** torchvision's `_make_divisible(v, 8)`: the nearest multiple of 8, at least 8, never 10 % under `v`. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (n < 0.9 * v) n += divisor;
  return n;
}

function invertedResidual(
  b: Builder,
  x: tf.SymbolicTensor,
  t: number,
  out: number,
  stride: number,
  p: string,
): tf.SymbolicTensor {
  const cin = x.shape[3] as number;
  let y = x;
  let i = 0;
  if (t !== 1) {
    y = b.relu6(b.bn(b.conv(y, Math.round(cin * t), 1, 1, `${p}_conv_0_0`), `${p}_conv_0_1`), `${p}_conv_0_2`);
    i = 1;
  }
  y = b.relu6(b.bn(b.depthwise(y, 3, stride, `${p}_conv_${i}_0`), `${p}_conv_${i}_1`), `${p}_conv_${i}_2`);
  y = b.bn(b.conv(y, out, 1, 1, `${p}_conv_${i + 1}`), `${p}_conv_${i + 2}`);
  return stride === 1 && cin === out ? b.add([x, y], `${p}_add`) : y;
}

/** The backbone (`features`) of torchvision's MobileNetV2 with `width_mult` = width. */
export function tvMobilenetV2(
  b: Builder,
  input: tf.SymbolicTensor,
  options: { width?: number } = {},
): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = b.relu6(b.bn(b.conv(input, makeDivisible(32 * width), 3, 2, 'features_0_0'), 'features_0_1'), 'features_0_2');
  let k = 1;
  for (const [t, c, n, s] of MOBILENET_V2_BLOCKS) {
    for (let j = 0; j < n; j++)
      x = invertedResidual(b, x, t, makeDivisible(c * width), j === 0 ? s : 1, `features_${k++}`);
  }
  const last = makeDivisible(1280 * Math.max(1, width));
  return b.relu6(b.bn(b.conv(x, last, 1, 1, `features_${k}_0`), `features_${k}_1`), `features_${k}_2`);
}
