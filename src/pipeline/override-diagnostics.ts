/**
 * A problem in a value that an `-S stages.<id>.<key>=…` override set is reported at that `-S`
 * argument, not at a line of the YAML that never held it (`-S stages.train.with.epoch=3` names the
 * `-S`, with the param's did-you-mean).
 */
import type { Diagnostic } from './diagnostics.ts';
import type { Override } from './overrides.ts';

/**
 * `diags` with each one whose key path is an override's path (or lies under it) moved to that
 * override. `templateOf` maps a foreach/matrix instance id to its template id (diagnostics name
 * templates).
 */
export function attributeToOverrides(
  diags: readonly Diagnostic[],
  overrides: readonly Override[],
  templateOf: (id: string) => string,
): Diagnostic[] {
  const stageOverrides = overrides.filter((o) => o.path[0] === 'stages' && o.path.length > 2);
  if (!stageOverrides.length) return [...diags];
  return diags.map((d) => {
    if (d.file === '-S') return d;
    const o = stageOverrides.find((x) => {
      const key = ['stages', templateOf(x.path[1]!), ...x.path.slice(2)].join('.');
      return d.path === key || d.path.startsWith(`${key}.`);
    });
    return o ? { file: '-S', path: o.raw, message: d.message, ...(d.hint ? { hint: d.hint } : {}) } : d;
  });
}
