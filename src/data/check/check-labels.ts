/**
 * The tolerant label-file checker behind the check-labels stage. Every line ends up in exactly one
 * of clean.txt or rejects.txt (blank lines excepted): nothing is dropped silently.
 *
 * Checks, in order: the line parses (path + integer labels; CRLF, BOM, non-ASCII and TAB-separated
 * paths with spaces are fine), the label count equals the head count, each label is in
 * [-1, maxLabel(head)], the path has no control characters, stays inside the image root (also
 * through symlinks; unless `allowOutsideRoot`), is not a duplicate of an earlier accepted line, and
 * the image passes `inspectImage` (exists, non-empty, within `maxPixels`, decodes). An image in a
 * format TensorFlow cannot decode is converted to PNG in `<out>/reencoded/` (clean.txt points
 * there) or rejected, per `unsupportedFormat`.
 *
 * Outputs (in `outDir`):
 * - clean.txt: accepted lines, paths rewritten relative to `finalDir` (where clean.txt will live) so
 *   the default image root (the label file's folder) keeps working; a path with whitespace is
 *   written TAB-separated;
 * - rejects.txt: `<line number>\t<reason>\t<original line>` (the original line last, since it may
 *   itself contain TABs; control characters other than TAB written as `\xNN`);
 * - summary.json: counts, reject rate, reasons by kind, formats, channels, size range, notes;
 * - images.tsv: per accepted image `line, path, format, width, height, channels, bits, notes`.
 *
 * Passes: screen-lines.ts (the text of each line), probe-images.ts (each image), write-outputs.ts.
 */
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { EntryIO } from '../../entry-io.ts';
import { PreflightError, StageError } from '../../errors.ts';
import { readClassesFile, type HeadSpec } from '../heads.ts';
import { checkedFolder, type CheckLabelsOptions } from './options.ts';
import { probeImages } from './probe-images.ts';
import { escapeControl, screenLines, type Reject } from './screen-lines.ts';
import { writeCheckOutputs } from './write-outputs.ts';

export interface CheckOptions {
  /** Label file to check. */
  labels: string;
  /** Image root: relative paths resolve against it and no image may lie outside it. Defaults to none (see `within`). */
  root?: string;
  /**
   * Without `root`: relative paths resolve against the label file's folder and no image may lie
   * outside this folder (the working folder, for the stage). Defaults to the label file's folder.
   */
  within?: string;
  heads: HeadSpec[];
  /** Where to write the outputs now. */
  outDir: string;
  /** Where outDir will finally live (paths in clean.txt are relative to it). Defaults to outDir. */
  finalDir?: string;
  /** Images probed at once. Defaults to 8. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stops checking between images when aborted. Defaults to none. */
  signal?: AbortSignal;
  /** Accept paths that lead outside `root`. Defaults to false. */
  allowOutsideRoot?: boolean;
  /** Largest width × height accepted, checked before decoding. Defaults to 50 000 000. */
  maxPixels?: number;
  /** An image TensorFlow cannot decode (TIFF, SVG, HEIF, …): `reencode` to PNG or `reject`. Defaults to reencode. */
  unsupportedFormat?: 'reencode' | 'reject';
}

export type { Reject } from './screen-lines.ts';
export { escapeControl } from './screen-lines.ts';

export interface CheckSummary {
  total: number;
  accepted: number;
  rejected: number;
  reject_rate: number;
  /** Reject count per kind. */
  reasons: Record<string, number>;
  formats: Record<string, number>;
  channels: Record<string, number>;
  notes: Record<string, number>;
  width: { min: number; max: number } | null;
  height: { min: number; max: number } | null;
}

export interface CheckResult {
  summary: CheckSummary;
  rejects: Reject[];
}

/** Checks the label file `opts.labels` and writes the outputs; see the module comment. */
export async function checkLabelFile(opts: CheckOptions): Promise<CheckResult> {
  const base = resolve(opts.root ?? resolve(opts.labels, '..'));
  // The guard protects the declared image root; without one, the working folder (not the label
  // file's own folder: generate-txt writes `../../images/a.jpg` relative to data/dataset/).
  const root = opts.root !== undefined ? base : resolve(opts.within ?? base);
  const realRoot = await realpath(root).catch(() => root);
  const { total, pending, rejects } = screenLines(await readFile(opts.labels, 'utf8'), opts.heads, {
    base,
    root,
    allowOutside: opts.allowOutsideRoot === true,
  });
  const probed = await probeImages(pending, { ...opts, root, realRoot }, rejects);
  rejects.sort((a, b) => a.line - b.line);
  const summary = await writeCheckOutputs(opts.outDir, opts.finalDir ?? opts.outDir, total, pending, probed, rejects);
  return { summary, rejects };
}

/**
 * `checkLabels(options, io)`: the check-labels entry point (the stage passes its params and context):
 * `checkLabelFile` on `options.labels` against its classes.json, the first rejects logged, and a
 * failure only when the reject rate exceeds `max_reject_rate`.
 */
export async function checkLabels(
  options: CheckLabelsOptions,
  io: EntryIO & { readonly id: string },
): Promise<{ metrics: Record<string, number> }> {
  const p = { ...options, out: checkedFolder(options) };
  const labels = io.path(p.labels);
  const classesFile = p.classes ? io.path(p.classes) : join(dirname(labels), 'classes.json');
  const { heads } = await readClassesFile(classesFile);
  const outDir = io.out(p.out);
  await mkdir(outDir, { recursive: true });
  const { summary, rejects } = await checkLabelFile({
    labels,
    root: p.root ? io.path(p.root) : undefined,
    within: io.path('.'),
    heads,
    outDir,
    finalDir: io.path(p.out),
    concurrency: p.concurrency,
    allowOutsideRoot: p.allow_outside_root,
    maxPixels: p.max_pixels,
    unsupportedFormat: p.unsupported_format,
    signal: io.signal,
    onProgress: (done, total) => {
      if (done % 200 === 0 || done === total) io.progress(`${done}/${total} images checked`);
    },
  });
  const kinds = Object.entries(summary.reasons)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  io.log(
    `${summary.accepted}/${summary.total} lines accepted, ${summary.rejected} rejected${kinds ? ` (${kinds})` : ''} → ${p.out}/clean.txt`,
  );
  for (const r of rejects.slice(0, 20)) io.log(`  ${p.labels}:${r.line}: ${escapeControl(r.reason)}`);
  const multi = summary.notes['multi-page: first page used'] ?? 0;
  if (multi)
    io.log(
      `note: ${multi} multi-page image${multi === 1 ? '' : 's'} (TIFF pages, GIF/WebP frames): only the first page is used (images.tsv lists them)`,
    );
  if (rejects.length > 20) io.log(`  … ${rejects.length - 20} more in ${p.out}/rejects.txt`);
  if (summary.reject_rate > p.max_reject_rate) {
    const first = rejects
      .slice(0, 3)
      .map((r) => `${p.labels}:${r.line}: ${escapeControl(r.reason)}`)
      .join('; ');
    throw new StageError(
      io.id,
      `${summary.rejected} of ${summary.total} lines rejected (${(summary.reject_rate * 100).toFixed(1)}% > max_reject_rate ${(p.max_reject_rate * 100).toFixed(1)}%): ${first}`,
      { hint: 'fix or remove the listed lines, or raise max_reject_rate' },
    );
  }
  if (summary.accepted === 0) {
    // Nothing left to train or score on (an empty file, or everything rejected under max_reject_rate: 1): refused, exit 2.
    throw new PreflightError(
      summary.total === 0
        ? 'the label file has no image lines'
        : `every one of the ${summary.total} lines was rejected, so ${p.out}/clean.txt would be empty${rejects[0] ? ` (line ${rejects[0].line}: ${escapeControl(rejects[0].reason)})` : ''}`,
      { file: p.labels, line: rejects[0]?.line ?? 1 },
      {
        hint:
          summary.total === 0
            ? 'write one `<image path> <label> …` line per image (generate-txt writes them from a folder of images)'
            : `fix the lines listed in ${p.out}/rejects.txt`,
      },
    );
  }
  return {
    metrics: {
      total: summary.total,
      accepted: summary.accepted,
      rejected: summary.rejected,
      reject_rate: summary.reject_rate,
    },
  };
}
