/**
 * Chooses how a Conv2D gradient is computed on wasm: `matmul` (patch gather/scatter around a plain
 * XNNPACK matmul, ./conv2d-grad-matmul.ts) or `conv` (transposed-tensor / transposed-conv
 * formulations on the XNNPACK conv) or, for 3×3 stride-1 convs, `winograd` (./winograd.ts).
 * `MLC_PIPE_CONV_GRAD=conv|matmul|winograd` forces one where it applies (profiling, tests).
 *
 * Measured per ResNet-18 layer (64×64, batch 16, CPU ms, one thread): the conv path wins only for
 * stride-1 k×k convs whose patch matrix (M·K) is much larger than the filter, where the gathers of
 * the matmul path cost more than the filter repacking of the conv path; e.g. 16×16×64 3×3:
 * dX 11 vs 18, dW 17 vs 20; 2×2×512 3×3: dX 32 vs 13, dW 24 vs 19; every stride-2 and 1×1 layer:
 * matmul 2–5× faster (no zero insertion, no repacking).
 */
import type { backend_util } from '@tensorflow/tfjs-core';
import { winogradTile, type WinoTile } from './winograd.ts';
import { readEnv } from '../../environment.ts';

export type GradMethod = 'matmul' | 'conv' | 'winograd';

/** Patch-matrix size over filter size above which the conv formulation wins, per gradient. */
const CONV_RATIO = { input: 4, filter: 32 } as const;

export function gradMethod(which: 'filter' | 'input', info: backend_util.Conv2DInfo): GradMethod {
  const forced = readEnv('MLC_PIPE_CONV_GRAD');
  if (forced === 'conv' || forced === 'matmul') return forced;
  if (winogradGradTile(info) !== null) return 'winograd';
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return 'matmul';
  const taps = info.filterHeight * info.filterWidth;
  if (taps === 1) return 'matmul';
  const patches = info.batchSize * info.outHeight * info.outWidth * taps * info.inChannels;
  const filter = taps * info.inChannels * info.outChannels;
  return patches >= CONV_RATIO[which] * filter ? 'conv' : 'matmul';
}

/**
 * The Winograd tile for a gradient of a 3×3 stride-1 conv (./winograd.ts), or null: measured
 * 1.3–2.8× faster than the better of conv/matmul for dW on every ResNet-18 3×3 stride-1 layer at
 * 64×64 b16 and 48×144 b32, and for dX once its GEMMs pack the smaller operand
 * (bench/engine/winograd.ts). `MLC_PIPE_CONV_GRAD=winograd` takes it wherever it applies,
 * regardless of cost.
 */
export function winogradGradTile(info: backend_util.Conv2DInfo): WinoTile | null {
  return winogradTile(info, readEnv('MLC_PIPE_CONV_GRAD') === 'winograd');
}
