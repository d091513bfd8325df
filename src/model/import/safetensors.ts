/**
 * Reads a `.safetensors` file (huggingface/safetensors' format: u64 little-endian header length N,
 * an N-byte JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then
 * the raw little-endian tensor bytes, offsets relative to the end of the header) into a StateDict.
 */
import { DataError } from '../../errors.ts';
import { contiguousStrides, ELEMENT_TYPES, gather, type ElementType, type StateDict } from './tensors.ts';

const DTYPES: Record<string, ElementType> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The tensors of the safetensors file `buf` (`file` names it in errors), in header order. */
export function readSafetensors(buf: Buffer, file: string): StateDict {
  const bad = (what: string): never => {
    throw new DataError(
      `not a readable .safetensors file: ${what}`,
      { file },
      { hint: 'the file is truncated or corrupted; copy it again' },
    );
  };
  if (buf.length < 8) bad('shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) bad(`its header says ${n} bytes, the file has ${buf.length - 8} after the length`);
  let header: Record<string, HeaderEntry>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<string, HeaderEntry>;
  } catch (e) {
    return bad(`its JSON header does not parse (${(e as Error).message})`);
  }
  const data = buf.subarray(8 + n);
  const out: StateDict = new Map();
  for (const [key, h] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const type = DTYPES[h?.dtype];
    if (!type) bad(`${key} has dtype ${String(h?.dtype)}; readable: ${Object.keys(DTYPES).join(', ')}`);
    const [begin, end] = h.data_offsets ?? [];
    const numel = (h.shape ?? []).reduce((a, b) => a * b, 1);
    if (typeof begin !== 'number' || typeof end !== 'number' || end - begin !== numel * ELEMENT_TYPES[type!].size)
      bad(`${key}: data_offsets do not match its shape ${JSON.stringify(h.shape)}`);
    if (end > data.length) bad(`${key} ends past the end of the file`);
    const bytes = data.subarray(begin, end);
    out.set(key, {
      shape: [...h.shape],
      values: gather(bytes, type!, 0, h.shape, contiguousStrides(h.shape), file, key),
    });
  }
  return out;
}
