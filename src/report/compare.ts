/**
 * `compare_to:` a second run shown beside this one in the report (a pruned or fine-tuned model
 * against its parent): the other run's header (`run.json`, when there) and its metrics.json.
 * The report lays the key metrics and each head's per-class F1 side by side with the change.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { DataError } from '../errors.ts';
import { metricsFile } from './diff.ts';
import type { Metrics } from './metrics/evaluate.ts';

export interface Comparison {
  /** The other run's title (its run.json, else its folder name). */
  title: string;
  /** The other run's header lines (empty when it has no run.json). */
  meta: Record<string, string>;
  /** Its `summary` (key metrics). */
  summary: Record<string, number | null>;
  /** Its full metrics. */
  metrics: Metrics;
  /** The metrics.json read. */
  file: string;
}

/** Reads the run at `path` (a report folder or its metrics.json). */
export async function loadComparison(path: string): Promise<Comparison> {
  const file = await metricsFile(path);
  let json: Metrics & { summary?: Record<string, number | null> };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DataError(
      `compare_to: cannot read metrics: ${(err as Error).message}`,
      { file },
      { cause: err, hint: 'point compare_to at the report folder of an evaluated run' },
    );
  }
  if (!json || typeof json !== 'object' || !json.heads || !json.summary) {
    throw new DataError(
      'compare_to: not an mlc-pipe metrics.json (no "summary"/"heads")',
      { file },
      { hint: 'point compare_to at the report folder an evaluate stage wrote' },
    );
  }
  let header: { title?: string; meta?: Record<string, string> } = {};
  try {
    header = JSON.parse(await readFile(`${dirname(file)}/run.json`, 'utf8'));
  } catch {
    // reports written before run.json existed: title from the folder
  }
  return {
    title: header.title ?? basename(dirname(file)),
    meta: header.meta ?? {},
    summary: json.summary,
    metrics: json,
    file,
  };
}
