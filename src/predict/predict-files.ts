/**
 * `mlc-pipe predict`: runs a model (a model folder, an export folder or a model.onnx;
 * ./model-source.ts) on image files and folders (searched recursively), in batches, and returns
 * per-head top-k classes with probabilities, named from the model's classes.json. A file that
 * cannot be read or decoded gives a row with `error` set and never stops the batch; writes the
 * rows as CSV or JSON when `out` is given. Running the model on the readable images: ./run-model.ts.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { EngineName, PrecisionName } from '../engine/index.ts';
import type { HeadSpec } from '../data/heads.ts';

export interface PredictOptions {
  /** Model folder written by train. */
  model: string;
  /** Image files and/or folders (searched recursively for image files). */
  inputs?: string[];
  /** Alias of `inputs` (what the CLI passes). */
  paths?: string[];
  /** File to write. Defaults to none. */
  out?: string;
  /** Format of `out`: json or csv. Defaults to json when `out` ends in `.json`, else csv. */
  format?: 'json' | 'csv';
  /** Classes per categorical head, most probable first (capped at the head's class count). Defaults to 1. */
  topK?: number;
  /** Images per batch. Defaults to 32. */
  batchSize?: number;
  /** TensorFlow.js engine. Defaults to auto. */
  engine?: EngineName;
  /** Compute precision (src/engine/precision.ts): fp32, bf16 (native only) or auto. Defaults to auto. */
  precision?: PrecisionName;
  /** Engine threads (0 = MLC_PIPE_THREADS, else every core). Defaults to 0. */
  threads?: number;
  /** Summary lines (engine, file written). Defaults to silent. */
  log?: (message: string) => void;
  /** Called after each batch with images done and the total. Defaults to none. */
  progress?: (done: number, total: number) => void;
}

export interface ClassProb {
  class: string;
  prob: number;
}

export interface PredictionRow {
  /** The image path as found from the given inputs. */
  path: string;
  /**
   * Head name → classes: the top-k for a categorical head; for a binary head one entry, the
   * head's class with p(positive).
   */
  heads: Record<string, ClassProb[]>;
  /** Why this file has no prediction (it does not exist, is empty, or does not decode); absent when it has one. */
  error?: string;
}

/** File extensions picked up inside folders. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff'];

async function walk(dir: string, shown: string, out: Array<{ abs: string; shown: string }>): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of entries) {
    if (e.isDirectory()) await walk(join(dir, e.name), join(shown, e.name), out);
    else if (IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x)))
      out.push({ abs: join(dir, e.name), shown: join(shown, e.name) });
  }
}

/** The image files named by `inputs`, in input order, folders expanded in name order. */
export async function listImages(inputs: string[]): Promise<Array<{ abs: string; shown: string }>> {
  const out: Array<{ abs: string; shown: string }> = [];
  for (const input of inputs) {
    const abs = resolve(input);
    let s;
    try {
      s = await stat(abs);
    } catch (err) {
      throw new ConfigError(`${input}: no such image file or folder`, {
        cause: err,
        hint: 'pass image files or folders that exist',
      });
    }
    if (s.isDirectory()) await walk(abs, input, out);
    else out.push({ abs, shown: input });
  }
  return out;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * CSV of prediction rows: `path`, then `<head>_top<i>`/`<head>_p<i>` per rank, or `<head>_p` for a
 * binary head, then `error` (empty, or why the file has no prediction and its other cells are empty).
 */
export function predictionsCsv(
  heads: Array<{ name: string; classes: string[] }>,
  rows: PredictionRow[],
  topK: number,
): string {
  const header = ['path'];
  for (const h of heads) {
    if (h.classes.length === 1) header.push(`${h.name}_p`);
    else
      for (let i = 1; i <= Math.min(topK, h.classes.length); i++) header.push(`${h.name}_top${i}`, `${h.name}_p${i}`);
  }
  header.push('error');
  const lines = rows.map((r) => {
    const cells = [r.path];
    for (const h of heads) {
      const list = r.heads[h.name];
      const n = h.classes.length === 1 ? 1 : 2 * Math.min(topK, h.classes.length);
      if (!list) cells.push(...Array<string>(n).fill(''));
      else if (h.classes.length === 1) cells.push(list[0]!.prob.toFixed(6));
      else for (const c of list) cells.push(c.class, c.prob.toFixed(6));
    }
    cells.push(r.error ?? '');
    return cells.map(csvField).join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** Rows as aligned text for a terminal: path, then `head: class 97.1% · class 2.0%` per head. */
export function formatPredictions(rows: PredictionRow[]): string {
  const width = Math.max(4, ...rows.map((r) => r.path.length));
  return (
    rows
      .map(
        (r) =>
          `${r.path.padEnd(width)}  ${
            r.error !== undefined
              ? `error: ${r.error}`
              : Object.entries(r.heads)
                  .map(
                    ([h, list]) => `${h}: ${list.map((c) => `${c.class} ${(c.prob * 100).toFixed(1)}%`).join(' · ')}`,
                  )
                  .join('  ')
          }`,
      )
      .join('\n') + '\n'
  );
}

/** Rows as JSON (an array; `error` only on rows without a prediction). */
export function predictionsJson(rows: PredictionRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** Runs `f` over `items` with at most `n` at once; results in item order. */
async function mapLimit<T, R>(items: T[], n: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await f(items[k]!);
      }
    }),
  );
  return out;
}

/** An image file: its absolute path and the path as the user named it. */
export type Image = { abs: string; shown: string };

/** Predicts every image; see the module comment. */
export async function predict(options: PredictOptions): Promise<PredictionRow[]> {
  const topK = options.topK ?? 1;
  const inputs = options.inputs ?? options.paths ?? [];
  if (!Number.isInteger(topK) || topK < 1)
    throw new ConfigError(`topK must be a positive integer, received ${JSON.stringify(options.topK)}`);
  if (options.format !== undefined && options.format !== 'json' && options.format !== 'csv') {
    throw new ConfigError(`format must be json or csv, received ${JSON.stringify(options.format)}`);
  }
  const { resolveModelSource } = await import('./model-source.ts');
  const source = resolveModelSource(options.model, resolve(options.model));
  const images = await listImages(inputs);
  if (images.length === 0)
    throw new ConfigError(
      `no image files (${IMAGE_EXTENSIONS.join(' ')}) in ${inputs.join(', ') || 'the given inputs (none)'}`,
    );
  const { readClassesFile } = await import('../data/heads.ts');
  const { inspectImage } = await import('../data/check/inspect.ts');
  // Files that do not exist, are empty or do not decode: an error row each, found before any compute.
  const errors = new Map<string, string>();
  const inspected = await mapLimit(images, 8, (im) => inspectImage(im.abs));
  inspected.forEach((r, k) => {
    if (!r.ok) errors.set(images[k]!.abs, r.reason);
  });
  const { heads } = await readClassesFile(join(source.dir, 'classes.json'));
  const { modelProbabilities } = await import('./run-model.ts');
  const probsOf = await modelProbabilities(source, images, heads, errors, options);
  const rows = images.map((im) => predictionRow(im, heads, probsOf.get(im.abs), errors, topK));
  if (options.out) await writePredictions(options.out, options, heads, rows, topK);
  const failed = rows.filter((r) => r.error !== undefined);
  if (failed.length) {
    options.log?.(
      `warning: ${failed.length} of ${rows.length} file${rows.length === 1 ? '' : 's'} could not be read (rows with an error), e.g. ${failed[0]!.path}: ${failed[0]!.error}`,
    );
  }
  return rows;
}

/** One image's row: the top-k classes per head, or the error that left it without probabilities. */
function predictionRow(
  im: Image,
  heads: HeadSpec[],
  probs: Float32Array[] | undefined,
  errors: ReadonlyMap<string, string>,
  topK: number,
): PredictionRow {
  if (!probs) return { path: im.shown, heads: {}, error: errors.get(im.abs) ?? 'no prediction' };
  const out: Record<string, ClassProb[]> = {};
  heads.forEach((h, i) => {
    const p = probs[i]!;
    if (h.classes.length === 1) out[h.name] = [{ class: h.classes[0]!, prob: p[0]! }];
    else
      out[h.name] = h.classes
        .map((c, k) => ({ class: c, prob: p[k]! }))
        .sort((a, b) => b.prob - a.prob)
        .slice(0, topK);
  });
  return { path: im.shown, heads: out };
}

/** Writes the rows to `out` as JSON or CSV (by `format`, else by the extension). */
async function writePredictions(
  out: string,
  options: PredictOptions,
  heads: HeadSpec[],
  rows: PredictionRow[],
  topK: number,
): Promise<void> {
  await mkdir(dirname(resolve(out)), { recursive: true });
  const format = options.format ?? (out.toLowerCase().endsWith('.json') ? 'json' : 'csv');
  await writeFile(out, format === 'json' ? predictionsJson(rows) : predictionsCsv(heads, rows, topK));
  options.log?.(`wrote ${rows.length} rows to ${out}`);
}
