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

/** The unions among the errors, which decide which of the other errors are worth a message. */
interface Unions {
  /** Instance paths of failed `oneOf`s: their branches' own errors are not shown. */
  oneOfPaths: string[];
  /** A union of literals (TypeBox's Type.Union of Type.Literal) is one choice: one message, not one per alternative. */
  choices: ErrorObject[];
  /** anyOf schemaPath → the schemaPath of the one branch whose JSON type the value has. */
  branches: Map<string, string>;
}

function findUnions(errors: readonly ErrorObject[], data: unknown): Unions {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const choices = errors.filter(
    (e) =>
      e.keyword === 'anyOf' &&
      Array.isArray(e.schema) &&
      (e.schema as { const?: unknown }[]).every((s) => s.const !== undefined),
  );
  // A union whose value has the JSON type of exactly one branch (`false | {…}` given a map): only that branch's errors count.
  const branches = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' || choices.includes(e) || !Array.isArray(e.schema)) continue;
    const value = dataAt(data, pointerToPath(e.instancePath));
    const matching = (e.schema as { type?: string; const?: unknown }[])
      .map((alt, i) => (typeOfSchema(alt) === jsonType(value) ? i : -1))
      .filter((i) => i >= 0);
    if (matching.length === 1) branches.set(e.schemaPath, `${e.schemaPath}/${matching[0]}/`);
  }
  return { oneOfPaths, choices, branches };
}

/** An error inside a choice, or about a union branch the value's type rules out: said by another message or by none. */
function outsideChosenBranch(e: ErrorObject, u: Unions): boolean {
  if (e.keyword !== 'anyOf' && u.choices.some((c) => e.schemaPath.startsWith(`${c.schemaPath}/`))) return true;
  if (u.branches.has(e.schemaPath)) return true;
  return [...u.branches].some(([any, keep]) => e.schemaPath.startsWith(`${any}/`) && !e.schemaPath.startsWith(keep));
}

/** The one message for a union of literals. */
function choiceDiagnostic(e: ErrorObject, data: unknown, source: DiagnosticSource, base: KeyPath): Diagnostic {
  const rel = pointerToPath(e.instancePath);
  const value = dataAt(data, rel);
  const allowed = (e.schema as { const: unknown }[]).map((s) => s.const);
  const names = allowed.map((v) => String(v));
  return source.at(
    [...base, ...rel],
    `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describeValue(value)}`,
    { hint: typeof value === 'string' ? didYouMean(value, names) : undefined },
  );
}

/** An error some other error already says: a oneOf branch's, an `if`'s, a key name's detail, a non-finite number's. */
function saidElsewhere(e: ErrorObject, value: unknown, u: Unions): boolean {
  if (
    e.keyword !== 'oneOf' &&
    e.schemaPath.includes('/oneOf/') &&
    u.oneOfPaths.some((p) => e.instancePath.startsWith(p))
  )
    return true;
  if (e.keyword === 'if') return true;
  if ((e as { propertyName?: string }).propertyName !== undefined && e.keyword !== 'propertyNames') return true;
  return typeof value === 'number' && !Number.isFinite(value) && e.keyword !== 'type'; // the type error says it once
}

/** What a keyword's message needs: the error, where it is, the value there, and the schema's `x-hint`. */
interface KeywordError {
  e: ErrorObject;
  path: KeyPath;
  value: unknown;
  /** `x-hint` (a schema annotation) is the fix shown for a failed rule, e.g. pretrained needs a tv-* model. */
  ruleHint: string | undefined;
  source: DiagnosticSource;
}

/** The message for each ajv keyword; any other keyword gets ajv's own message. */
const keywordMessages: Record<string, (k: KeywordError) => Diagnostic> = {
  additionalProperties({ e, path, source }) {
    const prop = String(e.params.additionalProperty);
    // `x-context` (a schema annotation) names the map in the message, e.g. `loss_options of loss "focal"`.
    const parent = e.parentSchema as { properties?: object; 'x-context'?: string } | undefined;
    const props = Object.keys((parent?.properties ?? {}) as object);
    const context = parent?.['x-context'];
    return source.at([...path, prop], `unknown key "${prop}"${context ? ` in ${context}` : ''}`, {
      key: true,
      hint:
        didYouMean(prop, props) ??
        (props.length ? `allowed keys: ${props.join(', ')}` : `${context ?? 'this map'} takes no keys`),
    });
  },
  required: ({ e, path, ruleHint, source }) =>
    source.at(path, `missing required key "${String(e.params.missingProperty)}"`, {
      key: path.length > 0,
      hint: ruleHint,
    }),
  propertyNames: ({ e, path, source }) =>
    source.at(
      [...path, String(e.params.propertyName)],
      `invalid name "${String(e.params.propertyName)}": use letters, digits, _ . and -`,
      { key: true },
    ),
  type({ e, path, value, source }) {
    if (typeof value === 'number' && !Number.isFinite(value))
      return source.at(
        path,
        `expected a finite ${String(e.params.type).replace(',', ' or ')}, received ${describeValue(value)}`,
        { hint: 'every numeric param is a finite number within its range (`mlc-pipe stages <name>` lists them)' },
      );
    return source.at(path, `expected ${String(e.params.type).replace(',', ' or ')}, received ${describeValue(value)}`);
  },
  oneOf({ e, path, value, source }) {
    const alts = ((e.schema as { type?: string }[] | undefined) ?? []).map((s) =>
      s.type === 'array' ? 'a list of strings' : `a ${s.type}`,
    );
    return source.at(
      path,
      `expected ${alts.join(' or ') || 'one of the allowed forms'}, received ${describeValue(value)}`,
    );
  },
  enum({ e, path, value, ruleHint, source }) {
    const allowed = (e.params.allowedValues as unknown[]).map((v) => String(v));
    return source.at(
      path,
      `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describeValue(value)}`,
      { hint: ruleHint ?? (typeof value === 'string' ? didYouMean(value, allowed) : undefined) },
    );
  },
  const: ({ e, path, value, ruleHint, source }) =>
    source.at(path, `expected ${describeValue(e.params.allowedValue)}, received ${describeValue(value)}`, {
      hint: ruleHint,
    }),
};

const otherKeyword = ({ e, path, value, source }: KeywordError): Diagnostic =>
  source.at(path, `${e.message ?? 'is invalid'}, received ${describeValue(value)}`);

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
  const unions = findUnions(errors, data);
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (outsideChosenBranch(e, unions)) continue;
    if (unions.choices.includes(e)) {
      out.push(choiceDiagnostic(e, data, source, base));
      continue;
    }
    const rel = pointerToPath(e.instancePath);
    const value = dataAt(data, rel);
    if (saidElsewhere(e, value, unions)) continue;
    const ruleHint = (e.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'];
    const message =
      (Object.hasOwn(keywordMessages, e.keyword) ? keywordMessages[e.keyword] : undefined) ?? otherKeyword;
    out.push(message({ e, path: [...base, ...rel], value, ruleHint, source }));
  }
  return out;
}
