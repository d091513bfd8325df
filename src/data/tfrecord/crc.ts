/**
 * CRC32C (Castagnoli) as TFRecord framing uses it, through @node-rs/crc32's hardware-accelerated
 * `crc32c`, and TensorFlow's mask (tensorflow/core/lib/hash/crc32c.h):
 *   masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8   (uint32)
 */
import { crc32c } from '@node-rs/crc32';

/** Plain CRC32C of `bytes` (e.g. "123456789" → 0xE3069283). */
export function crc32cOf(bytes: Uint8Array): number {
  return crc32c(bytes) >>> 0;
}

/** TFRecord's masked CRC of a raw CRC32C value. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Masked CRC32C of `bytes`. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32cOf(bytes));
}
