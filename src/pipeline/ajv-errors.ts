/**
 * Turns ajv errors into positioned diagnostics with readable messages and "did you mean" hints.
 */
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from './diagnostics.ts';
import type { KeyPath } from './source.ts';

/** What positions a diagnostic: the pipeline file (YamlSource), or the flags of a command (./check-options.ts). */
export interface DiagnosticSource {
  at(path: KeyPath, message: string, opts?: { key?: boolean; hint?: string }): Diagnostic;
}
import { didYouMean } from '../suggest.ts';

/** Short printable form of a received value. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  // YAML's spelling: JSON has no infinity or NaN (it would say null).
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? '.nan (not a number)' : `${v < 0 ? '-' : ''}.inf (infinity)`;
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function dataAt(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v;
}

/** The JSON type a schema branch accepts, when it names one (`type`, or the type of its `const`). */
function typeOfSchema(s: { type?: string; const?: unknown }): string | undefined {
  if (s.const !== undefined) return jsonType(s.const);
  if (s.type === 'integer') return 'number';
  return typeof s.type === 'string' ? s.type : undefined;
}

/**
 * @param errors ajv errors (validator run with `allErrors`, `verbose` for parentSchema).
 * @param data the validated value.
 * @param base where `data` sits in the YAML (e.g. `['stages','train','with']`).
 */
export function ajvDiagnostics(
  errors: readonly ErrorObject[],
  data: unknown,
  source: DiagnosticSource,
  base: KeyPath,
): Diagnostic[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  // A union of literals (TypeBox's Type.Union of Type.Literal) is one choice: one message, not one per alternative.
  const choices = errors.filter(
    (e) =>
      e.keyword === 'anyOf' &&
      Array.isArray(e.schema) &&
      (e.schema as { const?: unknown }[]).every((s) => s.const !== undefined),
  );
  // A union whose value has the JSON type of exactly one branch (`false | {…}` given a map): only that branch's errors count.
  const branches = new Map<string, string>(); // anyOf schemaPath → the branch's schemaPath
  for (const e of errors) {
    if (e.keyword !== 'anyOf' || choices.includes(e) || !Array.isArray(e.schema)) continue;
    const value = dataAt(data, pointerToPath(e.instancePath));
    const matching = (e.schema as { type?: string; const?: unknown }[])
      .map((alt, i) => (typeOfSchema(alt) === jsonType(value) ? i : -1))
      .filter((i) => i >= 0);
    if (matching.length === 1) branches.set(e.schemaPath, `${e.schemaPath}/${matching[0]}/`);
  }
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && choices.some((c) => e.schemaPath.startsWith(`${c.schemaPath}/`))) continue;
    if (branches.has(e.schemaPath)) continue;
    if ([...branches].some(([any, keep]) => e.schemaPath.startsWith(`${any}/`) && !e.schemaPath.startsWith(keep)))
      continue;
    if (choices.includes(e)) {
      const rel = pointerToPath(e.instancePath);
      const value = dataAt(data, rel);
      const allowed = (e.schema as { const: unknown }[]).map((s) => s.const);
      const names = allowed.map((v) => String(v));
      out.push(
        source.at(
          [...base, ...rel],
          `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describeValue(value)}`,
          { hint: typeof value === 'string' ? didYouMean(value, names) : undefined },
        ),
      );
      continue;
    }
    if (
      e.keyword !== 'oneOf' &&
      e.schemaPath.includes('/oneOf/') &&
      oneOfPaths.some((p) => e.instancePath.startsWith(p))
    )
      continue;
    if (e.keyword === 'if') continue;
    if ((e as { propertyName?: string }).propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    const rel = pointerToPath(e.instancePath);
    const path = [...base, ...rel];
    const value = dataAt(data, rel);
    if (typeof value === 'number' && !Number.isFinite(value) && e.keyword !== 'type') continue; // the type error says it once
    // `x-hint` (a schema annotation) is the fix shown for a failed rule, e.g. pretrained needs a tv-* model.
    const ruleHint = (e.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'];
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = String(e.params.additionalProperty);
        // `x-context` (a schema annotation) names the map in the message, e.g. `loss_options of loss "focal"`.
        const parent = e.parentSchema as { properties?: object; 'x-context'?: string } | undefined;
        const props = Object.keys((parent?.properties ?? {}) as object);
        const context = parent?.['x-context'];
        out.push(
          source.at([...path, prop], `unknown key "${prop}"${context ? ` in ${context}` : ''}`, {
            key: true,
            hint:
              didYouMean(prop, props) ??
              (props.length ? `allowed keys: ${props.join(', ')}` : `${context ?? 'this map'} takes no keys`),
          }),
        );
        break;
      }
      case 'required':
        out.push(
          source.at(path, `missing required key "${String(e.params.missingProperty)}"`, {
            key: path.length > 0,
            hint: ruleHint,
          }),
        );
        break;
      case 'propertyNames':
        out.push(
          source.at(
            [...path, String(e.params.propertyName)],
            `invalid name "${String(e.params.propertyName)}": use letters, digits, _ . and -`,
            { key: true },
          ),
        );
        break;
      case 'type':
        if (typeof value === 'number' && !Number.isFinite(value)) {
          out.push(
            source.at(
              path,
              `expected a finite ${String(e.params.type).replace(',', ' or ')}, received ${describeValue(value)}`,
              { hint: 'every numeric param is a finite number within its range (`mlc-pipe stages <name>` lists them)' },
            ),
          );
          break;
        }
        out.push(
          source.at(path, `expected ${String(e.params.type).replace(',', ' or ')}, received ${describeValue(value)}`),
        );
        break;
      case 'oneOf': {
        const alts = ((e.schema as { type?: string }[] | undefined) ?? []).map((s) =>
          s.type === 'array' ? 'a list of strings' : `a ${s.type}`,
        );
        out.push(
          source.at(
            path,
            `expected ${alts.join(' or ') || 'one of the allowed forms'}, received ${describeValue(value)}`,
          ),
        );
        break;
      }
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]).map((v) => String(v));
        out.push(
          source.at(
            path,
            `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describeValue(value)}`,
            { hint: ruleHint ?? (typeof value === 'string' ? didYouMean(value, allowed) : undefined) },
          ),
        );
        break;
      }
      case 'const':
        out.push(
          source.at(path, `expected ${describeValue(e.params.allowedValue)}, received ${describeValue(value)}`, {
            hint: ruleHint,
          }),
        );
        break;
      default:
        out.push(source.at(path, `${e.message ?? 'is invalid'}, received ${describeValue(value)}`));
    }
  }
  return out;
}
