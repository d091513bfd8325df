/**
 * Turns ajv errors into positioned diagnostics with readable messages and "did you mean" hints.
 */
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from './diagnostics.ts';
import type { KeyPath, YamlSource } from './source.ts';
import { didYouMean } from '../suggest.ts';

/** Short printable form of a received value. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function dataAt(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/**
 * @param errors ajv errors (validator run with `allErrors`, `verbose` for parentSchema).
 * @param data the validated value.
 * @param base where `data` sits in the YAML (e.g. `['stages','train','with']`).
 */
export function ajvDiagnostics(errors: readonly ErrorObject[], data: unknown, source: YamlSource, base: KeyPath): Diagnostic[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && e.schemaPath.includes('/oneOf/') && oneOfPaths.some((p) => e.instancePath.startsWith(p))) continue;
    if (e.keyword === 'if') continue;
    if ((e as { propertyName?: string }).propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    const rel = pointerToPath(e.instancePath);
    const path = [...base, ...rel];
    const value = dataAt(data, rel);
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = String(e.params.additionalProperty);
        const props = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
        out.push(source.at([...path, prop], `unknown key "${prop}"`, { key: true, hint: didYouMean(prop, props) ?? (props.length ? `allowed keys: ${props.join(', ')}` : undefined) }));
        break;
      }
      case 'required':
        out.push(source.at(path, `missing required key "${String(e.params.missingProperty)}"`, { key: path.length > 0 }));
        break;
      case 'propertyNames':
        out.push(source.at([...path, String(e.params.propertyName)], `invalid name "${String(e.params.propertyName)}": use letters, digits, _ . and -`, { key: true }));
        break;
      case 'type':
        out.push(source.at(path, `expected ${String(e.params.type).replace(',', ' or ')}, received ${describeValue(value)}`));
        break;
      case 'oneOf': {
        const alts = ((e.schema as { type?: string }[] | undefined) ?? []).map((s) => (s.type === 'array' ? 'a list of strings' : `a ${s.type}`));
        out.push(source.at(path, `expected ${alts.join(' or ') || 'one of the allowed forms'}, received ${describeValue(value)}`));
        break;
      }
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]).map((v) => String(v));
        out.push(source.at(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describeValue(value)}`, { hint: typeof value === 'string' ? didYouMean(value, allowed) : undefined }));
        break;
      }
      case 'const':
        out.push(source.at(path, `expected ${describeValue(e.params.allowedValue)}, received ${describeValue(value)}`));
        break;
      default:
        out.push(source.at(path, `${e.message ?? 'is invalid'}, received ${describeValue(value)}`));
    }
  }
  return out;
}
