/** The paths a stage declares: normalised, and traced back to the YAML entry that names them. */
import path from 'node:path';
import type { KeyPath } from './source.ts';
import type { StageNode } from './types.ts';

type Body = Record<string, unknown>;

/** Normalizes a stage path: posix separators, no `./`, no trailing slash. */
export function normalizeStagePath(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/'));
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Strings of a list; interpolated numbers/booleans become text (`outs: ["\${item}"]`). */
export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x) => ['string', 'number', 'boolean'].includes(typeof x)).map(String) : [];
}

/** The YAML path of the `with` param (module stage) or `cmdKey` entry (cmd stage) whose value is `value`, else the stage. */
export function valuePosition(
  s: Pick<StageNode, 'kind' | 'template'>,
  body: Body,
  cmdKey: 'deps' | 'outs' | undefined,
  value: string,
): KeyPath {
  const base: KeyPath = ['stages', s.template];
  const holder = cmdKey ? { [cmdKey]: body[cmdKey] } : ((body.with ?? {}) as Body);
  const prefix: KeyPath = cmdKey ? base : [...base, 'with'];
  for (const [k, v] of Object.entries(holder)) {
    if (typeof v === 'string' && normalizeStagePath(v) === value) return [...prefix, k];
    if (Array.isArray(v)) {
      const i = v.findIndex((x) => typeof x === 'string' && normalizeStagePath(x) === value);
      if (i >= 0) return [...prefix, k, i];
    }
  }
  return base;
}
