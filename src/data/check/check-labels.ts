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
 */
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { EntryIO } from '../../entry-io.ts';
import { PreflightError, StageError } from '../../errors.ts';
import { maxLabel, readClassesFile, type HeadSpec } from '../heads.ts';
import { parseLabelLine, splitLines } from '../labels.ts';
import { openImage } from '../image/bmp.ts';
import { inspectImage, TF_DECODABLE_FORMATS, type ImageInfo } from './inspect.ts';
import { checkedFolder, type CheckLabelsOptions } from './options.ts';

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

/** C0 controls but TAB (a separator), DEL and C1 controls. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROL_ALL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** `s` with each control character (TAB kept) written as `\xNN`, so a reject line stays one line of text. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function outside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

export interface Reject {
  line: number;
  /** Short class of the problem, e.g. `file not found`, `label out of range` (summary.json counts these). */
  kind: string;
  reason: string;
  original: string;
}

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

interface Pending {
  line: number;
  original: string;
  path: string;
  abs: string;
  labels: number[];
}

function validateLabels(labels: number[], heads: HeadSpec[]): { kind: string; reason: string } | undefined {
  if (labels.length !== heads.length) {
    return { kind: 'column count', reason: `expected ${heads.length} labels (one per head), found ${labels.length}` };
  }
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    const max = maxLabel(heads[i]!);
    if (v < -1 || v > max) {
      return { kind: 'label out of range', reason: `label ${v} in column ${i + 1} (head ${heads[i]!.name}) is outside [-1, ${max}]` };
    }
  }
  return undefined;
}

export async function checkLabelFile(opts: CheckOptions): Promise<CheckResult> {
  const base = resolve(opts.root ?? resolve(opts.labels, '..'));
  // The guard protects the declared image root; without one, the working folder (not the label
  // file's own folder: generate-txt writes `../../images/a.jpg` relative to data/dataset/).
  const root = opts.root !== undefined ? base : resolve(opts.within ?? base);
  const realRoot = await realpath(root).catch(() => root);
  const finalDir = opts.finalDir ?? opts.outDir;
  const lines = splitLines(await readFile(opts.labels, 'utf8'));
  const rejects: Reject[] = [];
  const pending: Pending[] = [];
  const firstLineOf = new Map<string, number>();
  let total = 0;
  lines.forEach((raw, i) => {
    const original = raw.replace(/\r$/, '');
    const parsed = parseLabelLine(original);
    if (parsed.ok === 'blank') return;
    total++;
    const line = i + 1;
    if (parsed.ok === false) return void rejects.push({ line, kind: 'unparseable line', reason: parsed.reason, original });
    const bad = validateLabels(parsed.labels, opts.heads);
    if (bad) return void rejects.push({ line, ...bad, original });
    if (CONTROL.test(parsed.path)) {
      return void rejects.push({ line, kind: 'control character', reason: `the path holds a control character (${escapeControl(parsed.path.match(CONTROL)![0])}); rename the file`, original });
    }
    const abs = isAbsolute(parsed.path) ? parsed.path : resolve(base, parsed.path);
    if (!opts.allowOutsideRoot && outside(root, abs)) {
      return void rejects.push({ line, kind: 'outside root', reason: `${parsed.path} is outside the image root ${root} (set allow_outside_root: true to allow it)`, original });
    }
    const first = firstLineOf.get(abs);
    if (first !== undefined) return void rejects.push({ line, kind: 'duplicate path', reason: `duplicate path: same image as line ${first}`, original });
    firstLineOf.set(abs, line);
    pending.push({ line, original, path: parsed.path, abs, labels: parsed.labels });
  });

  const infos: (ImageInfo | undefined)[] = new Array(pending.length);
  /** pending index → the re-encoded copy, relative to outDir. */
  const reencoded = new Map<number, string>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length) {
      opts.signal?.throwIfAborted();
      const k = next++;
      const p = pending[k]!;
      if (!opts.allowOutsideRoot) {
        const real = await realpath(p.abs).catch(() => undefined);
        if (real !== undefined && outside(realRoot, real)) {
          rejects.push({ line: p.line, kind: 'outside root', reason: `${p.path} leads (through a symlink) to ${real}, outside the image root ${root} (set allow_outside_root: true to allow it)`, original: p.original });
          opts.onProgress?.(++done, pending.length);
          continue;
        }
      }
      const r = await inspectImage(p.abs, { maxPixels: opts.maxPixels });
      if (r.ok && r.info.reencode && (opts.unsupportedFormat ?? 'reencode') === 'reject') {
        const why = r.info.format === 'bmp' ? r.info.notes[0]! : `${r.info.format} is not a format TensorFlow decodes (${TF_DECODABLE_FORMATS.join(', ')})`;
        rejects.push({ line: p.line, kind: 'unsupported format', reason: `${why}; set unsupported_format: reencode to convert it to PNG`, original: p.original });
      } else if (r.ok && r.info.reencode) {
        const rel = `reencoded/${String(p.line).padStart(6, '0')}.png`;
        try {
          await mkdir(join(opts.outDir, 'reencoded'), { recursive: true });
          // First page, EXIF orientation applied (the PNG carries no EXIF), limits as for the check.
          await (await openImage(p.abs, { failOn: 'error', limitInputPixels: opts.maxPixels ?? 50_000_000 })).rotate().png().toFile(join(opts.outDir, rel));
          r.info.notes.push(`${r.info.format}→png`);
          reencoded.set(k, rel);
          infos[k] = r.info;
        } catch (err) {
          rejects.push({ line: p.line, kind: 'does not decode', reason: `cannot re-encode ${r.info.format} to PNG: ${(err as Error).message.split('\n')[0]}`, original: p.original });
        }
      } else if (r.ok) infos[k] = r.info;
      else rejects.push({ line: p.line, kind: r.kind, reason: r.reason, original: p.original });
      opts.onProgress?.(++done, pending.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  rejects.sort((a, b) => a.line - b.line);

  const clean: string[] = [];
  const tsv: string[] = ['line\tpath\tformat\twidth\theight\tchannels\tbits\tnotes'];
  const summary: CheckSummary = {
    total,
    accepted: 0,
    rejected: rejects.length,
    reject_rate: total === 0 ? 0 : rejects.length / total,
    reasons: {},
    formats: {},
    channels: {},
    notes: {},
    width: null,
    height: null,
  };
  const bump = (m: Record<string, number>, k: string): void => void (m[k] = (m[k] ?? 0) + 1);
  pending.forEach((p, k) => {
    const info = infos[k];
    if (!info) return;
    summary.accepted++;
    const copy = reencoded.get(k);
    const path = copy ?? (isAbsolute(p.path) ? p.path : relative(finalDir, p.abs).split('\\').join('/'));
    clean.push(/\s/.test(path) ? `${path}\t${p.labels.join(' ')}` : `${path} ${p.labels.join(' ')}`);
    tsv.push([p.line, path, info.format, info.width, info.height, info.channels, info.bits, info.notes.join(',')].join('\t'));
    bump(summary.formats, info.format);
    bump(summary.channels, String(info.channels));
    for (const n of info.notes) bump(summary.notes, n.replace(/\d+ applied$/, 'applied').replace(/^multi-page \(\d+\)/, 'multi-page'));
    summary.width = { min: Math.min(summary.width?.min ?? Infinity, info.width), max: Math.max(summary.width?.max ?? 0, info.width) };
    summary.height = { min: Math.min(summary.height?.min ?? Infinity, info.height), max: Math.max(summary.height?.max ?? 0, info.height) };
  });
  for (const r of rejects) bump(summary.reasons, r.kind);

  const text = (rows: string[]): string => rows.join('\n') + (rows.length ? '\n' : '');
  await writeFile(join(opts.outDir, 'clean.txt'), text(clean));
  await writeFile(join(opts.outDir, 'rejects.txt'), text(rejects.map((r) => `${r.line}\t${escapeControl(r.reason)}\t${escapeControl(r.original)}`)));
  await writeFile(join(opts.outDir, 'images.tsv'), text(tsv));
  await writeFile(join(opts.outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { summary, rejects };
}

/**
 * `checkLabels(options, io)`: the check-labels entry point (the stage passes its params and context):
 * `checkLabelFile` on `options.labels` against its classes.json, the first rejects logged, and a
 * failure only when the reject rate exceeds `max_reject_rate`.
 */
export async function checkLabels(options: CheckLabelsOptions, io: EntryIO & { readonly id: string }): Promise<{ metrics: Record<string, number> }> {
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
  const kinds = Object.entries(summary.reasons).map(([k, n]) => `${k} ${n}`).join(', ');
  io.log(`${summary.accepted}/${summary.total} lines accepted, ${summary.rejected} rejected${kinds ? ` (${kinds})` : ''} → ${p.out}/clean.txt`);
  for (const r of rejects.slice(0, 20)) io.log(`  ${p.labels}:${r.line}: ${escapeControl(r.reason)}`);
  const multi = summary.notes['multi-page: first page used'] ?? 0;
  if (multi) io.log(`note: ${multi} multi-page image${multi === 1 ? '' : 's'} (TIFF pages, GIF/WebP frames): only the first page is used (images.tsv lists them)`);
  if (rejects.length > 20) io.log(`  … ${rejects.length - 20} more in ${p.out}/rejects.txt`);
  if (summary.reject_rate > p.max_reject_rate) {
    const first = rejects.slice(0, 3).map((r) => `${p.labels}:${r.line}: ${escapeControl(r.reason)}`).join('; ');
    throw new StageError(
      io.id,
      `${summary.rejected} of ${summary.total} lines rejected (${(summary.reject_rate * 100).toFixed(1)}% > max_reject_rate ${(p.max_reject_rate * 100).toFixed(1)}%): ${first}`,
      { hint: 'fix or remove the listed lines, or raise max_reject_rate' },
    );
  }
  if (summary.accepted === 0) {
    // Nothing left to train or score on (an empty file, or everything rejected under max_reject_rate: 1): refused, exit 2.
    throw new PreflightError(
      summary.total === 0 ? 'the label file has no image lines' : `every one of the ${summary.total} lines was rejected, so ${p.out}/clean.txt would be empty${rejects[0] ? ` (line ${rejects[0].line}: ${escapeControl(rejects[0].reason)})` : ''}`,
      { file: p.labels, line: rejects[0]?.line ?? 1 },
      { hint: summary.total === 0 ? 'write one `<image path> <label> …` line per image (generate-txt writes them from a folder of images)' : `fix the lines listed in ${p.out}/rejects.txt` },
    );
  }
  return { metrics: { total: summary.total, accepted: summary.accepted, rejected: summary.rejected, reject_rate: summary.reject_rate } };
}
