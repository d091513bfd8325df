/**
 * The second pass of the label-file check: each remaining line's image, probed a few at a time. An
 * image is rejected when a symlink leads it outside the image root, when `inspectImage` refuses it,
 * or when TensorFlow cannot decode its format and `unsupportedFormat` is `reject`; otherwise such an
 * image is converted to PNG in `<outDir>/reencoded/`.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { openImage } from '../image/bmp.ts';
import { inspectImage, TF_DECODABLE_FORMATS, type ImageInfo } from './inspect.ts';
import { outside, type PendingLine, type Reject } from './screen-lines.ts';

/** What the probe needs from the check's options. */
export interface ProbeOptions {
  outDir: string;
  /** The image root, and its real path (symlinks resolved). */
  root: string;
  realRoot: string;
  allowOutsideRoot?: boolean;
  maxPixels?: number;
  unsupportedFormat?: 'reencode' | 'reject';
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Per pending line (same index): the image's facts when accepted, and the re-encoded copy relative to outDir. */
export interface Probed {
  infos: (ImageInfo | undefined)[];
  reencoded: Map<number, string>;
}

/** The verdict on one image: accepted (maybe re-encoded), or rejected. */
type Verdict = { info: ImageInfo; copy?: string } | { reject: Omit<Reject, 'line' | 'original'> };

/** Probes every pending line's image; rejects are appended to `rejects` (in completion order). */
export async function probeImages(
  pending: readonly PendingLine[],
  opts: ProbeOptions,
  rejects: Reject[],
): Promise<Probed> {
  const out: Probed = { infos: new Array(pending.length), reencoded: new Map() };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length) {
      opts.signal?.throwIfAborted();
      const k = next++;
      const p = pending[k]!;
      const v = await probeOne(p, opts);
      if ('reject' in v) rejects.push({ line: p.line, ...v.reject, original: p.original });
      else {
        out.infos[k] = v.info;
        if (v.copy) out.reencoded.set(k, v.copy);
      }
      opts.onProgress?.(++done, pending.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  return out;
}

async function probeOne(p: PendingLine, opts: ProbeOptions): Promise<Verdict> {
  if (!opts.allowOutsideRoot) {
    const real = await realpath(p.abs).catch(() => undefined);
    if (real !== undefined && outside(opts.realRoot, real)) {
      return {
        reject: {
          kind: 'outside root',
          reason: `${p.path} leads (through a symlink) to ${real}, outside the image root ${opts.root} (set allow_outside_root: true to allow it)`,
        },
      };
    }
  }
  const r = await inspectImage(p.abs, { maxPixels: opts.maxPixels });
  if (!r.ok) return { reject: { kind: r.kind, reason: r.reason } };
  if (!r.info.reencode) return { info: r.info };
  if ((opts.unsupportedFormat ?? 'reencode') === 'reject') {
    const why =
      r.info.format === 'bmp'
        ? r.info.notes[0]!
        : `${r.info.format} is not a format TensorFlow decodes (${TF_DECODABLE_FORMATS.join(', ')})`;
    return {
      reject: { kind: 'unsupported format', reason: `${why}; set unsupported_format: reencode to convert it to PNG` },
    };
  }
  return reencodeToPng(p, r.info, opts);
}

/** The image as `<outDir>/reencoded/<line>.png`: first page, EXIF orientation applied (the PNG carries no EXIF), limits as for the check. */
async function reencodeToPng(p: PendingLine, info: ImageInfo, opts: ProbeOptions): Promise<Verdict> {
  const rel = `reencoded/${String(p.line).padStart(6, '0')}.png`;
  try {
    await mkdir(join(opts.outDir, 'reencoded'), { recursive: true });
    await (
      await openImage(p.abs, { failOn: 'error', limitInputPixels: opts.maxPixels ?? 50_000_000 })
    )
      .rotate()
      .png()
      .toFile(join(opts.outDir, rel));
    info.notes.push(`${info.format}→png`);
    return { info, copy: rel };
  } catch (err) {
    return {
      reject: {
        kind: 'does not decode',
        reason: `cannot re-encode ${info.format} to PNG: ${(err as Error).message.split('\n')[0]}`,
      },
    };
  }
}
