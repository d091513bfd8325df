/**
 * `foreach` / `matrix` expansion of one stage template into concrete stages `id@key`.
 */

export interface Expansion {
  /** Concrete id: the template id, or `template@key`. */
  id: string;
  /** Interpolation context added for this instance (`item`, `key`). */
  ctx: Record<string, unknown>;
}

function keyText(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** Cartesian product of named lists, in declaration order. */
function product(matrix: Record<string, unknown[]>): Record<string, unknown>[] {
  let rows: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(matrix)) {
    const next: Record<string, unknown>[] = [];
    for (const row of rows) for (const v of values) next.push({ ...row, [name]: v });
    rows = next;
  }
  return rows;
}

/**
 * The instances of a stage. Without foreach/matrix: one instance with the template id.
 * foreach list of scalars → `id@value`; list of maps → `id@index`; map → `id@key`.
 * matrix → `id@v1-v2-…` with `item` = the combination.
 */
export function expandStage(id: string, body: { foreach?: unknown; matrix?: unknown }): Expansion[] {
  const { foreach, matrix } = body;
  if (Array.isArray(foreach)) {
    const scalars = foreach.every((v) => v === null || typeof v !== 'object');
    return foreach.map((item, i) => ({ id: `${id}@${scalars ? keyText(item) : i}`, ctx: { item, key: i } }));
  }
  if (foreach !== null && typeof foreach === 'object') {
    return Object.entries(foreach as Record<string, unknown>).map(([key, item]) => ({
      id: `${id}@${key}`,
      ctx: { item, key },
    }));
  }
  if (matrix !== null && typeof matrix === 'object') {
    return product(matrix as Record<string, unknown[]>).map((item) => ({
      id: `${id}@${Object.values(item).map(keyText).join('-')}`,
      ctx: { item, key: Object.values(item).map(keyText).join('-') },
    }));
  }
  return [{ id, ctx: {} }];
}
