/**
 * Weight layout changes from tfjs (NHWC, kernels HWIO) to ONNX (NCHW, kernels OIHW), and folding
 * an inference-mode BatchNormalization into the conv before it:
 *   BN(y) = gamma·(y − mean)/sqrt(var + eps) + beta = scale·y + shift,
 *   so conv(W)·scale + (b·scale + shift) = conv(W·scale) + b'.
 */

/** A weight as read from the layer: row-major values and tfjs shape. */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/** Per-output-channel affine map that follows a conv (a folded BN). */
export interface ChannelAffine {
  scale: Float64Array;
  shift: Float64Array;
}

/** HWIO kernel [kh, kw, ci, co] → OIHW [co, ci, kh, kw]. */
export function hwioToOihw(w: Weight): { dims: number[]; data: Float32Array } {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = w.data[((y * kw + x) * ci + i) * co + o]!;
  return { dims: [co, ci, kh, kw], data: out };
}

/**
 * Depthwise kernel [kh, kw, C, M] → grouped-conv weight [C·M, 1, kh, kw] (group = C): output channel
 * c·M + m of tfjs's depthwise conv is channel m of group c in ONNX's grouped conv.
 */
export function depthwiseToOihw(w: Weight): { dims: number[]; data: Float32Array } {
  const [kh, kw, c, m] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++)
        for (let j = 0; j < m; j++) out[((ch * m + j) * kh + y) * kw + x] = w.data[((y * kw + x) * c + ch) * m + j]!;
  return { dims: [c * m, 1, kh, kw], data: out };
}

/** Inference BN as scale/shift per channel (gamma/beta default to 1/0 when the layer has none). */
export function batchNormAffine(
  gamma: Float32Array | null,
  beta: Float32Array | null,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
): ChannelAffine {
  const n = mean.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/**
 * Applies `affine` (for output channels `offset … offset+co−1`) to an OIHW weight and a bias
 * (zeros when absent), returning the folded pair.
 */
export function foldAffine(
  oihw: { dims: number[]; data: Float32Array },
  bias: Float32Array | null,
  affine: ChannelAffine | undefined,
  offset = 0,
): { weight: Float32Array; bias: Float32Array | null } {
  if (affine === undefined) return { weight: oihw.data, bias };
  const co = oihw.dims[0]!;
  const per = oihw.data.length / co;
  const weight = new Float32Array(oihw.data.length);
  const b = new Float32Array(co);
  for (let o = 0; o < co; o++) {
    const s = affine.scale[offset + o]!;
    for (let k = 0; k < per; k++) weight[o * per + k] = oihw.data[o * per + k]! * s;
    b[o] = (bias ? bias[o]! : 0) * s + affine.shift[offset + o]!;
  }
  return { weight, bias: b };
}

/**
 * TensorFlow 'same' padding for one spatial axis: out = ceil(in / stride), the total padding split
 * with the odd pixel at the end (ONNX SAME_UPPER), written out explicitly.
 */
export function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}
