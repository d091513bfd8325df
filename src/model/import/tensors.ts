/**
 * The tensor values a weights file holds, decoded to float32 whatever their stored type, and the
 * element decoders both readers share (little-endian, as torch.save and safetensors store them).
 */
import { DataError } from '../../errors.ts';

/** One named tensor of a state dict, row-major (PyTorch's own layout, e.g. OIHW for a conv weight). */
export interface StateTensor {
  shape: number[];
  values: Float32Array;
}

/** A state dict in file order. */
export type StateDict = Map<string, StateTensor>;

/** Bytes per element and decoder of each stored element type. */
export const ELEMENT_TYPES = {
  float32: { size: 4, read: (b: Buffer, i: number) => b.readFloatLE(i) },
  float64: { size: 8, read: (b: Buffer, i: number) => b.readDoubleLE(i) },
  float16: { size: 2, read: (b: Buffer, i: number) => halfToFloat(b.readUInt16LE(i)) },
  bfloat16: { size: 2, read: (b: Buffer, i: number) => bfloatToFloat(b.readUInt16LE(i)) },
  int64: { size: 8, read: (b: Buffer, i: number) => Number(b.readBigInt64LE(i)) },
  int32: { size: 4, read: (b: Buffer, i: number) => b.readInt32LE(i) },
  int16: { size: 2, read: (b: Buffer, i: number) => b.readInt16LE(i) },
  int8: { size: 1, read: (b: Buffer, i: number) => b.readInt8(i) },
  uint8: { size: 1, read: (b: Buffer, i: number) => b[i]! },
  bool: { size: 1, read: (b: Buffer, i: number) => (b[i] ? 1 : 0) },
} as const;
export type ElementType = keyof typeof ELEMENT_TYPES;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bfloatToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The float32 values of a strided view (`shape`, `stride` in elements, from element `offset`) of
 * `type` elements in `bytes`, row-major. `what` names the tensor in errors.
 */
export function gather(
  bytes: Buffer,
  type: ElementType,
  offset: number,
  shape: number[],
  stride: number[],
  file: string,
  what: string,
): Float32Array {
  const { size, read } = ELEMENT_TYPES[type];
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const last = offset + shape.reduce((a, d, i) => a + (d - 1) * stride[i]!, 0);
  if (offset < 0 || (last + 1) * size > bytes.length) {
    throw new DataError(
      `${what}: its data ends past its storage (${bytes.length} bytes)`,
      { file },
      { hint: 'the file is truncated or corrupted; copy it again' },
    );
  }
  if (type === 'float32' && isContiguous(shape, stride) && (bytes.byteOffset + offset * 4) % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset + offset * 4, n));
    return out;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let e = offset;
    for (let d = 0; d < shape.length; d++) e += idx[d]! * stride[d]!;
    out[k] = read(bytes, e * size);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Row-major strides of `shape`. */
export function contiguousStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  const c = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || stride[i] === c[i]);
}
