/**
 * `mlc-pipe predict`: runs a trained model on image files and folders (searched recursively),
 * in batches, and returns per-head top-k classes with probabilities, named from the model's
 * classes.json; writes them as CSV when `out` is given.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DataError } from '../errors.ts';
import type { EngineName } from '../engine/index.ts';

export interface PredictOptions {
  /** Model folder written by train. */
  model: string;
  /** Image files and/or folders (searched recursively for image files). */
  inputs?: string[];
  /** Alias of `inputs` (what the CLI passes). */
  paths?: string[];
  /** File to write: JSON when it ends in `.json`, CSV otherwise. Defaults to none. */
  out?: string;
  /** Classes per categorical head, most probable first (capped at the head's class count). Defaults to 1. */
  topK?: number;
  /** Images per batch. Defaults to 32. */
  batchSize?: number;
  /** TensorFlow.js engine. Defaults to auto. */
  engine?: EngineName;
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
}

/** File extensions picked up inside folders. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff'];

async function walk(dir: string, shown: string, out: Array<{ abs: string; shown: string }>): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.isDirectory()) await walk(join(dir, e.name), join(shown, e.name), out);
    else if (IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) out.push({ abs: join(dir, e.name), shown: join(shown, e.name) });
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
      throw new DataError('no such image file or folder', { file: input }, { cause: err, hint: 'pass image files or folders that exist' });
    }
    if (s.isDirectory()) await walk(abs, input, out);
    else out.push({ abs, shown: input });
  }
  return out;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** CSV of prediction rows: `path`, then `<head>_top<i>`/`<head>_p<i>` per rank, or `<head>_p` for a binary head. */
export function predictionsCsv(heads: Array<{ name: string; classes: string[] }>, rows: PredictionRow[], topK: number): string {
  const header = ['path'];
  for (const h of heads) {
    if (h.classes.length === 1) header.push(`${h.name}_p`);
    else for (let i = 1; i <= Math.min(topK, h.classes.length); i++) header.push(`${h.name}_top${i}`, `${h.name}_p${i}`);
  }
  const lines = rows.map((r) => {
    const cells = [r.path];
    for (const h of heads) {
      const list = r.heads[h.name]!;
      if (h.classes.length === 1) cells.push(list[0]!.prob.toFixed(6));
      else for (const c of list) cells.push(c.class, c.prob.toFixed(6));
    }
    return cells.map(csvField).join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** Rows as aligned text for a terminal: path, then `head: class 97.1% · class 2.0%` per head. */
export function formatPredictions(rows: PredictionRow[]): string {
  const width = Math.max(4, ...rows.map((r) => r.path.length));
  return (
    rows
      .map((r) => `${r.path.padEnd(width)}  ${Object.entries(r.heads).map(([h, list]) => `${h}: ${list.map((c) => `${c.class} ${(c.prob * 100).toFixed(1)}%`).join(' · ')}`).join('  ')}`)
      .join('\n') + '\n'
  );
}

/** Predicts every image; see the module comment. */
export async function predict(options: PredictOptions): Promise<PredictionRow[]> {
  const topK = options.topK ?? 1;
  const inputs = options.inputs ?? options.paths ?? [];
  if (!Number.isInteger(topK) || topK < 1) throw new DataError(`topK must be a positive integer, received ${JSON.stringify(options.topK)}`);
  const images = await listImages(inputs);
  if (images.length === 0) throw new DataError(`no image files (${IMAGE_EXTENSIONS.join(' ')}) in ${inputs.join(', ') || 'the given inputs (none)'}`);
  const { initEngine } = await import('../engine/index.ts');
  const { loadTrainedModel, loaderInputOptions } = await import('../model/io.ts');
  const { createLoader } = await import('../data/loader/create-loader.ts');
  const { inferAll } = await import('./loader-inference.ts');
  const { resolveThreads } = await import('../engine/names.ts');
  await initEngine({ engine: options.engine ?? 'auto', threads: resolveThreads(options.threads, undefined), log: options.log });
  const { model, heads, config } = await loadTrainedModel(options.model);
  const tmp = await mkdtemp(join(tmpdir(), 'mlc-predict-'));
  try {
    // the loader reads label files: one line per image (TAB form, so paths may hold spaces), labels unknown
    const list = join(tmp, 'images.txt');
    await writeFile(list, images.map((im) => `${im.abs}\t${heads.map(() => '-1').join(' ')}`).join('\n') + '\n');
    const input = config.input;
    const channels = input.channels ?? 3;
    const loader = await createLoader({
      labels: list,
      root: tmp,
      heads: heads.length,
      ...loaderInputOptions(input),
      batchSize: options.batchSize ?? 32,
    });
    let result;
    try {
      result = await inferAll(model, heads, loader, { height: input.height, width: input.width, channels, progress: options.progress });
    } finally {
      await loader.close();
    }
    const shown = new Map(images.map((im) => [im.abs, im.shown]));
    const rows: PredictionRow[] = result.paths.map((p, n) => {
      const out: Record<string, ClassProb[]> = {};
      heads.forEach((h, i) => {
        const probs = result.probs[i]!;
        if (h.classes.length === 1) {
          out[h.name] = [{ class: h.classes[0]!, prob: probs[n]! }];
          return;
        }
        const K = h.classes.length;
        const ranked = h.classes.map((c, k) => ({ class: c, prob: probs[n * K + k]! })).sort((a, b) => b.prob - a.prob);
        out[h.name] = ranked.slice(0, topK);
      });
      return { path: shown.get(p) ?? p, heads: out };
    });
    if (options.out) {
      await mkdir(dirname(resolve(options.out)), { recursive: true });
      await writeFile(options.out, options.out.toLowerCase().endsWith('.json') ? `${JSON.stringify(rows, null, 2)}\n` : predictionsCsv(heads, rows, topK));
      options.log?.(`wrote ${rows.length} rows to ${options.out}`);
    }
    return rows;
  } finally {
    model.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}
