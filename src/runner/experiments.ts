/**
 * The experiment view of a pipeline, in the manner of DVC's `exp show`, `params diff` and
 * `metrics show`: one row per stage instance (foreach/matrix expansions included) from the lock
 * file, with the params it ran with and the metrics it returned; with `all`, also every earlier
 * run of the same stages still in the run-cache, with when it ran. Pure reads; nothing runs.
 */
import { runCacheKey } from './store/run-cache.ts';
import { stableStringify } from '../stable-json.ts';
import { cacheParams, type Workspace } from './workspace.ts';

/** One experiment row. */
export interface ExpRow {
  /** Concrete stage id (`train`, `sweep@0.001-32`). */
  stage: string;
  /** Id before foreach/matrix expansion: rows of one template form one comparable table. */
  template: string;
  /**
   * `workspace`: the lock file's current result; `changed`: the lock's result, but the stage's
   * params differ now (its metrics are stale); `not run`: no result yet; `run-cache`: an earlier result.
   */
  state: 'workspace' | 'changed' | 'not run' | 'run-cache';
  /** ISO time the result was produced (empty when not run). */
  at: string;
  /** Params, nested keys joined with dots. */
  params: Record<string, unknown>;
  metrics: Record<string, number | string | null>;
}

/** Nested params as dotted keys (`optimizer_options.beta1`); arrays stay whole. */
export function flattenParams(
  value: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length)
      flattenParams(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

export interface ExpShowOptions {
  /** Also list earlier results still in the run-cache. Defaults to false. */
  all?: boolean;
}

/** The rows: pipeline order, then (with `all`) earlier results of each stage oldest first after it. */
export function experimentRows(ws: Workspace, options: ExpShowOptions = {}): ExpRow[] {
  const current = new Set<string>();
  const rows: ExpRow[] = [];
  for (const node of ws.pipeline.stages) {
    const e = ws.lock.stages[node.id];
    if (e) current.add(runCacheKey(e.code, e.params, e.inputs));
    const state: ExpRow['state'] = !e
      ? 'not run'
      : stableStringify(e.params) === stableStringify(cacheParams(node))
        ? 'workspace'
        : 'changed';
    const row: ExpRow = {
      stage: node.id,
      template: node.template,
      state,
      at: e?.at ?? '',
      params: flattenParams(e?.params ?? cacheParams(node)),
      metrics: e?.metrics ?? {},
    };
    rows.push(row);
  }
  if (!options.all) return rows;
  const templates = new Set(ws.pipeline.stages.map((n) => n.template));
  const earlier = new Map<string, ExpRow[]>();
  const records = ws.runCache
    .records()
    .filter(
      ({ key, record: r }) =>
        !current.has(key) &&
        r.stage &&
        r.params &&
        r.pipeline === ws.pipeline.name &&
        templates.has(r.template ?? r.stage),
    )
    .sort((a, b) => (a.record.at ?? '').localeCompare(b.record.at ?? ''));
  for (const { record: r } of records) {
    const template = r.template ?? r.stage!;
    earlier.set(template, [
      ...(earlier.get(template) ?? []),
      {
        stage: r.stage!,
        template,
        state: 'run-cache',
        at: r.at ?? '',
        params: flattenParams(r.params!),
        metrics: r.metrics ?? {},
      },
    ]);
  }
  // each template's earlier results right after its last current row
  const out: ExpRow[] = [];
  rows.forEach((row, i) => {
    out.push(row);
    if (!rows.slice(i + 1).some((r) => r.template === row.template)) out.push(...(earlier.get(row.template) ?? []));
  });
  return out;
}

/** A group of rows that compare: one template's instances and their earlier results. */
export interface ExpTable {
  template: string;
  rows: ExpRow[];
  /** Params whose values differ between the rows (all params when `allParams`). */
  params: string[];
  /** Every metric any row wrote, first-seen order. */
  metrics: string[];
}

const same = (a: unknown, b: unknown) => stableStringify(a) === stableStringify(b);

/**
 * Groups rows by template and picks the columns: the params that differ within the group and
 * every metric written. Sorting by `sortBy` (a metric or param name) happens inside each group;
 * rows without that value go last.
 */
export function experimentTables(
  rows: ExpRow[],
  options: { sortBy?: string; sortOrder?: 'asc' | 'desc'; allParams?: boolean } = {},
): ExpTable[] {
  const groups = new Map<string, ExpRow[]>();
  for (const r of rows) groups.set(r.template, [...(groups.get(r.template) ?? []), r]);
  const tables: ExpTable[] = [];
  for (const [template, list] of groups) {
    const keys = [...new Set(list.flatMap((r) => Object.keys(r.params)))];
    const params = options.allParams
      ? keys
      : keys.filter((k) => list.some((r) => !same(r.params[k], list[0]!.params[k])));
    const metrics = [...new Set(list.flatMap((r) => Object.keys(r.metrics)))];
    let sorted = list;
    if (options.sortBy) {
      const k = options.sortBy;
      const value = (r: ExpRow): unknown => (k in r.metrics ? r.metrics[k] : r.params[k]);
      const sign = options.sortOrder === 'desc' ? -1 : 1;
      sorted = [...list].sort((a, b) => {
        const va = value(a);
        const vb = value(b);
        const missA = va === undefined || va === null;
        const missB = vb === undefined || vb === null;
        if (missA || missB) return Number(missA) - Number(missB);
        if (typeof va === 'number' && typeof vb === 'number') return sign * (va - vb);
        return sign * String(va).localeCompare(String(vb));
      });
    }
    tables.push({ template, rows: sorted, params, metrics });
  }
  return tables;
}

/** Whether `name` is a metric or param of any row (for a clear `--sort-by` error). */
export function knownColumns(rows: ExpRow[]): string[] {
  return [...new Set(rows.flatMap((r) => [...Object.keys(r.metrics), ...Object.keys(r.params)]))];
}

/** One changed param: [stage, param, old, new]. */
export type ParamChange = [string, string, unknown, unknown];

/**
 * `params diff` as DVC's: the params each stage last ran with (lock file) against the pipeline's
 * params now. A stage that never ran shows `undefined` as old. With `all`, unchanged params too.
 */
export function paramsDiffLock(ws: Workspace, options: { all?: boolean } = {}): ParamChange[] {
  const out: ParamChange[] = [];
  for (const node of ws.pipeline.stages) {
    const locked = ws.lock.stages[node.id];
    const a = locked ? flattenParams(locked.params) : {};
    const b = flattenParams(cacheParams(node));
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      if (options.all || !same(a[k], b[k])) out.push([node.id, k, a[k], b[k]]);
    }
  }
  return out;
}

/** The params of two stage instances side by side (differing ones only unless `all`): [param, a, b]. */
export function paramsDiffStages(
  ws: Workspace,
  a: string,
  b: string,
  options: { all?: boolean } = {},
): Array<[string, unknown, unknown]> {
  const pa = flattenParams(ws.graph.stages.get(a)!.params);
  const pb = flattenParams(ws.graph.stages.get(b)!.params);
  return [...new Set([...Object.keys(pa), ...Object.keys(pb)])]
    .filter((k) => options.all || !same(pa[k], pb[k]))
    .map((k) => [k, pa[k], pb[k]]);
}
