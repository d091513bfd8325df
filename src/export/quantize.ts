/**
 * Weight quantization of a tfjs layers model in the format tfjs itself reads: each quantized entry
 * of `weightsManifest[].weights` carries `quantization: { dtype, scale, min }` (uint8 / uint16,
 * affine: value = q·scale + min) or `{ dtype: 'float16' }`, and its bytes in weights.bin are the
 * quantized values, so `tf.loadLayersModel` dequantizes on load with no extra code (tfjs-core
 * io_utils `decodeWeights`; the same fields tensorflowjs_converter's --quantize_* flags write).
 *
 * Which weights: float32 kernels (rank ≥ 2: conv, depthwise, MixedConv2D parts, dense), which are
 * nearly all the bytes. Biases and BatchNormalization vectors stay float32: they are tiny, and an
 * 8-bit moving variance near 0 would move every activation after it.
 *
 * Affine ranges are nudged so 0 is exactly representable (pruned-away or zero weights stay 0), as
 * the tfjs converter does: zero point z = round(−min/scale), min' = −z·scale.
 */
import { MlcPipeError } from '../errors.ts';

export const QUANTIZE_DTYPES = ['uint8', 'uint16', 'float16'] as const;
export type QuantizeDtype = (typeof QUANTIZE_DTYPES)[number];

/** One `weightsManifest[].weights` entry (tfjs WeightsManifestEntry). */
export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: QuantizeDtype; scale?: number; min?: number };
}

export interface QuantizedWeights {
  weights: ManifestWeight[];
  data: Uint8Array;
  /** Entries quantized / left float32. */
  quantized: number;
  kept: number;
}

/** float32 → IEEE half bits, round to nearest even (subnormals and ±inf handled). */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct
  return sign | half;
}

/** The affine (scale, min) of an unsigned `bits`-bit range over [lo, hi], nudged so 0 is a level. */
export function affineRange(lo: number, hi: number, bits: 8 | 16): { scale: number; min: number } {
  const qmax = 2 ** bits - 1;
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  if (b === a) return { scale: 1, min: 0 };
  const scale = (b - a) / qmax;
  const zero = Math.round(-a / scale);
  return { scale, min: zero === 0 ? 0 : -zero * scale };
}

/** Quantizes `data` (the concatenated weights of `weights`, in order) to `dtype`. */
export function quantizeWeights(weights: ManifestWeight[], data: Uint8Array, dtype: QuantizeDtype): QuantizedWeights {
  const out: Uint8Array[] = [];
  const specs: ManifestWeight[] = [];
  let offset = 0;
  let quantized = 0;
  let kept = 0;
  for (const w of weights) {
    if (w.quantization)
      throw new MlcPipeError(`weight ${w.name} is already quantized (${w.quantization.dtype})`, {
        hint: 'export from the float32 model folder',
      });
    const n = w.shape.reduce((a, b) => a * b, 1);
    const bytes = n * (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1);
    const raw = data.subarray(offset, offset + bytes);
    offset += bytes;
    if (w.dtype !== 'float32' || w.shape.length < 2) {
      out.push(raw.slice());
      specs.push({ ...w });
      kept++;
      continue;
    }
    const values = new Float32Array(raw.slice().buffer);
    quantized++;
    if (dtype === 'float16') {
      const q = new Uint16Array(n);
      for (let i = 0; i < n; i++) q[i] = float32ToFloat16Bits(values[i]!);
      out.push(new Uint8Array(q.buffer));
      specs.push({ ...w, quantization: { dtype } });
      continue;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const bits = dtype === 'uint8' ? 8 : 16;
    const { scale, min } = affineRange(lo, hi, bits);
    const qmax = 2 ** bits - 1;
    const q = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) q[i] = Math.min(qmax, Math.max(0, Math.round((values[i]! - min) / scale)));
    out.push(new Uint8Array(q.buffer));
    specs.push({ ...w, quantization: { dtype, scale, min } });
  }
  if (offset !== data.length)
    throw new MlcPipeError(`weights.bin holds ${data.length} bytes but the manifest lists ${offset}`);
  const total = out.reduce((s, b) => s + b.length, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const b of out) {
    joined.set(b, o);
    o += b.length;
  }
  return { weights: specs, data: joined, quantized, kept };
}
