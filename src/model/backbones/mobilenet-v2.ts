/**
 * MobileNetV2 (Sandler et al. 2018): 3×3/2 stem (32) → inverted residual blocks (expansion t,
 * channels c, repeats n, stride s) → 1×1 conv 1280, every conv followed by BN and ReLU6 except the
 * linear bottleneck projection. Residual add when stride 1 and channels match. Channels scale with
 * `width`.
 */
import type { tf } from '../../engine/tf.ts';
import { scaled, type Builder } from '../layer-builder.ts';

/** The inverted-residual table of MobileNetV2 (Sandler et al. 2018, table 2): expansion t, channels c, repeats n, first stride s. */
export const MOBILENET_V2_BLOCKS: ReadonlyArray<[t: number, c: number, n: number, s: number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function invertedResidual(
  b: Builder,
  x: tf.SymbolicTensor,
  t: number,
  out: number,
  stride: number,
  name: string,
): tf.SymbolicTensor {
  const cin = x.shape[3] as number;
  let y = x;
  if (t !== 1) y = b.relu6(b.convBn(y, cin * t, 1, 1, `${name}_expand`), `${name}_expand_relu`);
  y = b.relu6(b.bn(b.depthwise(y, 3, stride, `${name}_dw`), `${name}_dw_bn`), `${name}_dw_relu`);
  y = b.convBn(y, out, 1, 1, `${name}_project`);
  return stride === 1 && cin === out ? b.add([x, y], `${name}_add`) : y;
}

export function mobilenetV2(b: Builder, input: tf.SymbolicTensor, options: { width?: number } = {}): tf.SymbolicTensor {
  const width = options.width ?? 1;
  let x = b.relu6(b.convBn(input, scaled(32, width), 3, 2, 'stem'), 'stem_relu');
  MOBILENET_V2_BLOCKS.forEach(([t, c, n, s], i) => {
    for (let j = 0; j < n; j++) x = invertedResidual(b, x, t, scaled(c, width), j === 0 ? s : 1, `ir${i + 1}_${j + 1}`);
  });
  return b.relu6(b.convBn(x, scaled(1280, width), 1, 1, 'head_conv'), 'head_relu');
}
