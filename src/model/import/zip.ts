/**
 * Reads the entries of a zip archive that stores them uncompressed, as `torch.save` writes it
 * (PyTorch's zip format: `<name>/data.pkl`, `<name>/data/<key>`, `<name>/version`, all STORED).
 * Only what torch writes is read: the central directory (ZIP64 included), method 0 (stored), CRC-32
 * checked, so a truncated or corrupted file is an error, never garbage weights.
 *
 * Format: PKWARE APPNOTE.TXT 6.3 (end of central directory 4.3.16, central header 4.3.12, local
 * header 4.3.7, ZIP64 4.3.14/4.5.3).
 */
import { crc32 } from '@node-rs/crc32';
import { DataError } from '../../errors.ts';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const HINT =
  'the file is truncated or corrupted; copy it again (or re-save it with torch.save(model.state_dict(), path))';

/** `name → bytes` (views into `buf`) of every entry of the zip in `buf`; `file` names it in errors. */
export function readStoredZip(buf: Buffer, file: string): Map<string, Buffer> {
  try {
    return readEntries(buf, file);
  } catch (e) {
    // A record cut short reads past the buffer: the same verdict as any other damage.
    if (e instanceof RangeError)
      throw new DataError(
        'not a readable torch.save zip: a record ends past the end of the file',
        { file },
        { hint: HINT, cause: e },
      );
    throw e;
  }
}

function readEntries(buf: Buffer, file: string): Map<string, Buffer> {
  const fail = (what: string): never => {
    throw new DataError(`not a readable torch.save zip: ${what}`, { file }, { hint: HINT });
  };
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end of central directory record');
  let count: number = buf.readUInt16LE(eocd + 10);
  let dirOffset: number = buf.readUInt32LE(eocd + 16);
  if ((count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 && buf.readUInt32LE(eocd - 20) === EOCD64_LOCATOR) {
    const at = Number(buf.readBigUInt64LE(eocd - 12));
    if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64) fail('bad ZIP64 end of central directory');
    count = Number(buf.readBigUInt64LE(at + 32));
    dirOffset = Number(buf.readBigUInt64LE(at + 48));
  }
  const entries = new Map<string, Buffer>();
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) fail(`central directory entry ${n} is damaged`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let size: number = buf.readUInt32LE(p + 20);
    let usize: number = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local: number = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // ZIP64 extra field (id 1): the 64-bit values of the fields that read 0xffffffff, in order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) ((usize = Number(buf.readBigUInt64LE(q))), (q += 8));
        if (size === 0xffffffff) ((size = Number(buf.readBigUInt64LE(q))), (q += 8));
        if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    if (method !== 0 || size !== usize)
      fail(`entry ${name} is compressed (method ${method}); torch.save stores entries uncompressed`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) fail(`entry ${name}: local header missing`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + size > buf.length) fail(`entry ${name} ends past the end of the file`);
    const data = buf.subarray(start, start + size);
    if (crc32(data) >>> 0 !== crc) fail(`entry ${name} fails its CRC-32 check`);
    entries.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
