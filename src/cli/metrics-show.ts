/**
 * What `metrics show` lists: for a pipeline file, each stage instance's metrics from the lock
 * file (grouped by stage template); for a report folder or metrics.json, its `summary` (the key
 * metrics evaluate returns), or every numeric leaf of a metrics file without one.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../errors.ts';
import { entryPoint } from '../../stages/entry-points.ts';

export interface MetricsShowRow {
  /** Stage id, or the metrics file. */
  path: string;
  /** Rows of one group share a table: the stage template, or `files`. */
  group: string;
  metrics: Record<string, number | string | null>;
}

export async function metricsShowRows(targets: string[]): Promise<MetricsShowRow[]> {
  const rows: MetricsShowRow[] = [];
  for (const t of targets) {
    if (/\.ya?ml$/i.test(t)) {
      const { openWorkspace } = await import('../runner/workspace.ts');
      const ws = await openWorkspace(t);
      for (const node of ws.pipeline.stages) {
        const m = ws.lock.stages[node.id]?.metrics;
        if (m && Object.keys(m).length) rows.push({ path: node.id, group: `${t}: ${node.template}`, metrics: m });
      }
      continue;
    }
    const { metricsFile, flattenMetrics } = await entryPoint('metrics-diff');
    const file = await metricsFile(t);
    let json: { summary?: Record<string, number | null> } & Record<string, unknown>;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new DataError(
        `cannot read metrics: ${(err as Error).message}`,
        { file },
        { cause: err, hint: 'pass a pipeline file, a report folder or a metrics.json' },
      );
    }
    rows.push({ path: file, group: 'files', metrics: json.summary ?? Object.fromEntries(flattenMetrics(json)) });
  }
  return rows;
}
