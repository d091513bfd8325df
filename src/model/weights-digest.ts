/**
 * The weights of a model folder are checked at every load: `weights.sha256` (written at save, in
 * `sha256sum` format, so `sha256sum -c weights.sha256` checks it too) must match each weights file,
 * and no float32 weight may be NaN or infinite. A folder saved before digests existed has no
 * `weights.sha256`: it still loads, with the finiteness check only.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { tf } from '../engine/tf.ts';
import { DataError } from '../errors.ts';

export const DIGEST_FILE = 'weights.sha256';

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `weights.sha256` for the weights files of a folder (after they are written). */
export async function writeWeightsDigest(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  const lines = Object.entries(files).map(([name, data]) => `${sha256(data)}  ${name}\n`);
  await writeFile(join(dir, DIGEST_FILE), lines.join(''));
}

/** The digests `weights.sha256` records by file name; undefined for a folder saved without one. */
async function readDigests(dir: string): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DIGEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const out = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m)
      throw new DataError(
        `line ${i + 1} is not "<sha256>  <file>"`,
        { file: join(dir, DIGEST_FILE) },
        { hint: 'the model folder is damaged; train (or copy) it again' },
      );
    out.set(m[2]!, m[1]!);
  }
  return out;
}

/** Throws when a weights file does not match the digest written with it. */
export async function verifyWeightsDigest(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  const digests = await readDigests(dir);
  if (!digests) return; // saved before digests: accepted (the finiteness check still runs)
  for (const [name, data] of Object.entries(files)) {
    const want = digests.get(name);
    const got = sha256(data);
    if (want === got) continue;
    throw new DataError(
      want === undefined
        ? `${name} has no digest in ${DIGEST_FILE}`
        : `${name} changed or damaged since it was written (sha256 ${got.slice(0, 12)}…, ${DIGEST_FILE} says ${want.slice(0, 12)}…)`,
      { file: join(dir, name) },
      { hint: 'train the model again (or restore the folder from a copy); a model folder is never edited in place' },
    );
  }
}

/** Throws when a float32 weight (not a quantized one) is NaN or infinite. */
export function checkWeightsFinite(dir: string, specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer): void {
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const bytesPer = s.quantization
      ? (({ uint8: 1, uint16: 2, float16: 2 } as Record<string, number>)[s.quantization.dtype] ?? 4)
      : s.dtype === 'float32' || s.dtype === 'int32'
        ? 4
        : 1;
    if (!s.quantization && s.dtype === 'float32' && offset + n * 4 <= data.byteLength) {
      const values = new Float32Array(data.slice(offset, offset + n * 4));
      let bad = 0;
      for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) bad++;
      if (bad) {
        throw new DataError(
          `weight ${s.name} holds ${bad} NaN or infinite values`,
          { file: join(dir, 'weights.bin') },
          { hint: 'the model is broken (a diverged training, or damaged weights); train it again' },
        );
      }
    }
    offset += n * bytesPer;
  }
}
