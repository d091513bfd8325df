/**
 * `-S key=value` overrides from the command line.
 *
 * - `vars.<path>=<value>` sets a variable before interpolation (every `${…}` sees it).
 * - `stages.<id>.<path>=<value>` sets a field of a stage after foreach/matrix expansion;
 *   `<id>` is a concrete id (`train@a`) or a template id (`train`, applies to all its instances),
 *   e.g. `-S stages.train.with.epochs=3`.
 * - `name=<value>` renames the pipeline.
 * The value is parsed as a YAML scalar or flow collection: `3` is a number, `true` a boolean,
 * `[a, b]` a list, `'3'` a string.
 */
import { parse } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export interface Override {
  /** The text as given, e.g. `stages.train.with.epochs=3`. */
  raw: string;
  path: string[];
  value: unknown;
}

/** Parses `-S` arguments; malformed ones become diagnostics. */
export function parseOverrides(args: readonly string[], diags: Diagnostic[]): Override[] {
  const out: Override[] = [];
  for (const raw of args) {
    const eq = raw.indexOf('=');
    const key = eq > 0 ? raw.slice(0, eq).trim() : '';
    if (!key) {
      diags.push({
        file: '-S',
        path: raw,
        message: 'expected key=value, e.g. -S stages.train.with.epochs=3 or -S vars.lr=0.01',
      });
      continue;
    }
    const path = key.split('.');
    if (
      !['vars', 'stages', 'name'].includes(path[0]!) ||
      (path[0] === 'stages' && path.length < 3) ||
      (path[0] === 'vars' && path.length < 2)
    ) {
      diags.push({
        file: '-S',
        path: key,
        message: 'override keys start with vars.<name>, stages.<id>.<field> or name',
      });
      continue;
    }
    let value: unknown;
    try {
      value = parse(raw.slice(eq + 1));
    } catch {
      value = raw.slice(eq + 1);
    }
    out.push({ raw, path, value: value === undefined ? null : value });
  }
  return out;
}

/** Sets `obj[path[0]][path[1]]… = value`, creating maps on the way. */
export function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
