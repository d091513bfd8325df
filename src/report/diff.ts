/**
 * `mlc-pipe metrics diff <A> <B>`: the numbers that differ between two runs' metrics.json, as a
 * table in the manner of `dvc metrics diff` (Path, Metric, A, B, Change). Each argument is a
 * report folder or a metrics.json. Nested keys are joined with dots (`heads.digit0.accuracy`);
 * arrays (confusion matrices, mistake lists) are left out.
 *
 * By default only the headline metrics that changed are listed: the `summary` block when the files
 * have one (a report's metrics.json holds ~400 numbers, most of them per-class details), else
 * every changed number. `all` lists every number, changed or not.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConfigError } from '../errors.ts';

export interface MetricsDiffOptions {
  /** List every metric (not only the `summary` block), changed or not. Defaults to false. */
  all?: boolean;
  /** Decimals shown. Defaults to 5. */
  precision?: number;
}

/** A run folder or file → its metrics.json path. */
export async function metricsFile(path: string): Promise<string> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    throw new ConfigError(`${path}: no such run folder or metrics file`, {
      cause: err,
      hint: 'pass reports/<run> or its metrics.json',
    });
  }
  return s.isDirectory() ? join(path, 'metrics.json') : path;
}

/** Numeric (and null) leaves of a JSON value, keyed by dotted path; arrays skipped. */
export function flattenMetrics(
  value: unknown,
  prefix = '',
  out = new Map<string, number | null>(),
): Map<string, number | null> {
  if (typeof value === 'number' || value === null) {
    if (prefix) out.set(prefix, value);
  } else if (typeof value === 'boolean') {
    if (prefix) out.set(prefix, value ? 1 : 0);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenMetrics(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

async function load(path: string): Promise<{ file: string; metrics: Map<string, number | null> }> {
  const file = await metricsFile(path);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: cannot read metrics: ${(err as Error).message}`, {
      cause: err,
      hint: 'pass a report folder holding metrics.json, or the metrics.json itself',
    });
  }
  return { file, metrics: flattenMetrics(json) };
}

function show(v: number | null | undefined, digits: number): string {
  if (v === undefined) return '-';
  if (v === null) return 'null';
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
}

/** One metric of the diff as data (`metrics diff --json`); a side without the metric is undefined. */
export interface MetricsDiffEntry {
  path: string;
  metric: string;
  a: number | null | undefined;
  b: number | null | undefined;
  /** B − A when both are numbers, else null. */
  change: number | null;
}

/** The metrics of the diff as data, filtered as the module header says. */
export async function metricsDiffEntries(
  pathA: string,
  pathB: string,
  options: MetricsDiffOptions = {},
): Promise<MetricsDiffEntry[]> {
  const digits = options.precision ?? 5;
  const [a, b] = await Promise.all([load(pathA), load(pathB)]);
  let keys = [...new Set([...a.metrics.keys(), ...b.metrics.keys()])];
  const headline = keys.filter((k) => k.startsWith('summary.'));
  if (!options.all && headline.length) keys = headline;
  const rel = relative(process.cwd(), b.file);
  const shownPath = rel && !rel.startsWith('..') ? rel : b.file;
  const out: MetricsDiffEntry[] = [];
  for (const k of keys) {
    const va = a.metrics.get(k);
    const vb = b.metrics.get(k);
    const same =
      va === vb ||
      (typeof va === 'number' && typeof vb === 'number' && Number(va.toFixed(digits)) === Number(vb.toFixed(digits)));
    if (same && !options.all) continue;
    out.push({
      path: shownPath,
      metric: k,
      a: va,
      b: vb,
      change: typeof va === 'number' && typeof vb === 'number' ? vb - va : null,
    });
  }
  return out;
}

/** Rows of the diff: [path, metric, A, B, change]. */
export async function metricsDiffRows(
  pathA: string,
  pathB: string,
  options: MetricsDiffOptions = {},
): Promise<string[][]> {
  const digits = options.precision ?? 5;
  return (await metricsDiffEntries(pathA, pathB, options)).map((e) => [
    e.path,
    e.metric,
    show(e.a, digits),
    show(e.b, digits),
    e.change === null ? '-' : show(e.change, digits),
  ]);
}

/** The diff as an aligned text table, or "No changes." when every metric is equal. */
export async function metricsDiff(pathA: string, pathB: string, options: MetricsDiffOptions = {}): Promise<string> {
  const rows = await metricsDiffRows(pathA, pathB, options);
  if (rows.length === 0) return 'No changes.\n';
  const table = [['Path', 'Metric', 'A', 'B', 'Change'], ...rows];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return (
    table
      .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('    '))
      .join('\n') + '\n'
  );
}
