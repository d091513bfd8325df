/**
 * `${a.b}` interpolation. A string that is exactly one `${…}` keeps the value's type
 * (`epochs: ${vars.epochs}` stays a number); otherwise values are spliced in as text.
 * `$${` escapes a literal `${`. `${raw:a.b}` is the same as `${a.b}` here; it matters in commands run
 * through a shell, where values are quoted unless raw (./shell-quote.ts).
 */

const REF = /\$\$\{|\$\{([^}]*)\}/g;

export class InterpolationError extends Error {}

/** The value of `a.b.c` (or `raw:a.b.c`) in `ctx`; InterpolationError naming what is known when absent. */
export function lookupVar(ctx: Record<string, unknown>, expr: string): unknown {
  return lookup(ctx, expr);
}

function lookup(ctx: Record<string, unknown>, expr: string): unknown {
  expr = expr.trim().replace(/^raw:/, '');
  const parts = expr.split('.');
  let cur: unknown = ctx;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as Record<string, unknown>))) {
      const known: string[] = [];
      if (cur !== null && typeof cur === 'object') {
        // A scope's vars live on its prototype (load.ts): list them first, as `{ ...vars, ...own }` would.
        for (const k in cur as object) if (!Object.hasOwn(cur, k) && known.push(k) >= 8) break;
        known.push(...Object.keys(cur));
      }
      throw new InterpolationError(
        `unknown variable "\${${expr.trim()}}"${known.length ? ` (known here: ${known.slice(0, 8).join(', ')})` : ''}`,
      );
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Interpolates one string. */
export function interpolateString(s: string, ctx: Record<string, unknown>): unknown {
  const whole = /^\$\{([^}]*)\}$/.exec(s);
  if (whole) return lookup(ctx, whole[1]!);
  return s.replace(REF, (m, expr: string | undefined) => {
    if (m === '$${') return '${';
    const v = lookup(ctx, expr!);
    if (v !== null && typeof v === 'object') {
      throw new InterpolationError(
        `"\${${expr!.trim()}}" is ${Array.isArray(v) ? 'a list' : 'a map'} inside text; only whole-string references keep structure`,
      );
    }
    return String(v);
  });
}

/**
 * Interpolates every string in `value` (deep). `onError(path, message)` receives each failure;
 * the failing string is left as is.
 */
export function interpolateDeep(
  value: unknown,
  ctx: Record<string, unknown>,
  onError: (path: (string | number)[], message: string) => void,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    try {
      return interpolateString(value, ctx);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      onError(path, err.message);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateDeep(v, ctx, onError, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateDeep(v, ctx, onError, [...path, k]);
    return out;
  }
  return value;
}
