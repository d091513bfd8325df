/** `-S vars.x=…` overrides that change nothing, because no stage refers to `${x}`. */
import { didYouMean } from '../suggest.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { Override } from './overrides.ts';

/** Names of the variables the stages refer to (`\${name}`, `\${vars.name}`, `\${name.field}`). */
function referencedVars(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/\$\$\{|\$\{([^}]*)\}/g)) {
      if (m[1] === undefined) continue;
      const parts = m[1].trim().split('.');
      const name = parts[0] === 'vars' ? parts[1] : parts[0];
      if (name) out.add(name);
    }
  } else if (Array.isArray(value)) for (const v of value) referencedVars(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) referencedVars(v, out);
  return out;
}

/** `-S vars.x=…` where nothing uses `\${x}` changes nothing: a typo, reported. */
export function checkVarOverrides(
  overrides: readonly Override[],
  stages: unknown,
  vars: unknown,
  diags: Diagnostic[],
): void {
  const used = referencedVars(stages);
  const declared = vars !== null && typeof vars === 'object' ? Object.keys(vars) : [];
  for (const o of overrides) {
    if (o.path[0] !== 'vars') continue;
    const name = o.path[1]!;
    if (used.has(name)) continue;
    const hint =
      didYouMean(name, [...used]) ??
      (used.size ? `variables the stages use: ${[...used].join(', ')}` : 'no stage uses a ${…} variable');
    diags.push({
      file: '-S',
      path: o.raw,
      message: `nothing in the pipeline uses \${${name}}${declared.includes(name) ? '' : ` (vars has no "${name}")`}, so this override changes nothing`,
      hint,
    });
  }
}
