/**
 * From stage templates to stage instances: expand each template's foreach/matrix (which may come
 * from vars), interpolate `${…}` in each instance (quoting for the shell with `shell: true`), and
 * apply `-S stages.<id>.…` overrides, validating a changed body again. Problems go to `diags`; a
 * problem caused by a -S argument is reported at that argument.
 */
import { didYouMean } from '../suggest.ts';
import type { Diagnostic } from './diagnostics.ts';
import { expandStage, type Expansion } from './expand.ts';
import { ajvDiagnostics } from './ajv-errors.ts';
import { interpolateDeep, InterpolationError } from './interpolate.ts';
import { setPath, type Override } from './overrides.ts';
import { validateStageSchema } from './schema-validators.ts';
import { interpolateShell } from './shell-quote.ts';
import type { KeyPath, YamlSource } from './source.ts';

type Body = Record<string, unknown>;

/** One stage instance, interpolated, before its node is resolved. */
export interface PendingStage {
  /** The template's key under `stages`. */
  tid: string;
  /** The instance id (the template's, or `tid@item` for foreach/matrix). */
  id: string;
  body: Body;
}

/** The instances and, for each template, the ids of its instances (in `needs`, a template id means them all). */
export interface Instances {
  pending: PendingStage[];
  byTemplate: Map<string, string[]>;
}

/** What the -S stage overrides did: those that matched a stage, and the problems each caused. */
interface OverrideUse {
  used: Set<Override>;
  problems: Map<Override, { message: string; hint?: string }[]>;
}

/** Where instantiation reports: the file's positions and the list of problems. */
interface Reporter {
  source: YamlSource;
  diags: Diagnostic[];
}

/**
 * The interpolation context `{ ...vars, ...own }` without copying vars (a pipeline may have tens of
 * thousands): `own` on top of a prototype chain to `vars`; lookups use `in`, which follows it.
 */
function scope(vars: Body, own: Body): Body {
  return Object.assign(Object.create(vars) as Body, own);
}

/** Expands every template under `stages` into its instances. */
export function instantiateStages(
  stages: Record<string, unknown>,
  vars: Body,
  overrides: readonly Override[],
  file: string,
  source: YamlSource,
  diags: Diagnostic[],
): Instances {
  const out: Instances = { pending: [], byTemplate: new Map() };
  const use: OverrideUse = { used: new Set(), problems: new Map() };
  const at: Reporter = { source, diags };
  for (const [tid, tbody] of Object.entries(stages)) {
    if (tbody === null || typeof tbody !== 'object' || Array.isArray(tbody)) continue;
    const { foreach: _f, matrix: _m, ...template } = tbody as Body;
    const loops = templateLoops(tid, tbody as Body, vars, at);
    if (!loops) continue;
    const instances = expandStage(tid, loops);
    out.byTemplate.set(
      tid,
      instances.map((i) => i.id),
    );
    for (const inst of instances)
      out.pending.push({ tid, id: inst.id, body: instanceBody(tid, template, inst, vars, overrides, use, at) });
  }
  diags.push(...overrideProblems(use), ...unmatchedOverrides(overrides, use, out.byTemplate, file));
  return out;
}

/** A template's foreach/matrix, interpolated from vars; undefined (reported) when they are not collections. */
function templateLoops(tid: string, tbody: Body, vars: Body, at: Reporter): Body | undefined {
  const base = ['stages', tid];
  // foreach/matrix may themselves come from vars: `foreach: ${models}`.
  const varCtx = scope(vars, { vars });
  const loops: Body = {};
  for (const k of ['foreach', 'matrix'] as const) {
    if (tbody[k] !== undefined)
      loops[k] = interpolateDeep(tbody[k], varCtx, (p, message) =>
        at.diags.push(at.source.at([...base, k, ...p], message)),
      );
  }
  const notCollection = (v: unknown) => v === null || typeof v !== 'object';
  if (
    (loops.foreach !== undefined && notCollection(loops.foreach)) ||
    (loops.matrix !== undefined &&
      (typeof loops.matrix !== 'object' ||
        loops.matrix === null ||
        Object.values(loops.matrix).some((v) => !Array.isArray(v))))
  ) {
    at.diags.push(
      at.source.at(
        [...base, loops.foreach !== undefined ? 'foreach' : 'matrix'],
        'foreach takes a list or a map, matrix a map of lists (directly or from ${…})',
      ),
    );
    return undefined;
  }
  return loops;
}

/** One instance's body: interpolated, shell-quoted with `shell: true`, with its -S overrides applied. */
function instanceBody(
  tid: string,
  template: Body,
  inst: Expansion,
  vars: Body,
  overrides: readonly Override[],
  use: OverrideUse,
  at: Reporter,
): Body {
  const base = ['stages', tid];
  const report = (p: KeyPath, message: string) => at.diags.push(at.source.at([...base, ...p], message));
  const ctx = scope(vars, { vars, ...inst.ctx });
  const body = interpolateDeep(template, ctx, report) as Body;
  if (body.shell === true) shellQuoteCmd(template.cmd, body, ctx, report);
  const applied: Override[] = [];
  for (const o of overrides) {
    if (o.path[0] === 'stages' && (o.path[1] === inst.id || o.path[1] === tid)) {
      setPath(body, o.path.slice(2), o.value);
      use.used.add(o);
      applied.push(o);
    }
  }
  if (applied.length) checkOverriddenBody(body, base, applied, use, at.source);
  return body;
}

/** A stage changed by -S is validated as a whole, like the file; each problem is kept for the -S argument that caused it. */
function checkOverriddenBody(
  body: Body,
  base: KeyPath,
  applied: Override[],
  use: OverrideUse,
  source: YamlSource,
): void {
  const check = validateStageSchema();
  if (check(body)) return;
  for (const d of ajvDiagnostics(check.errors ?? [], body, source, base)) {
    const key = d.path.split('.').slice(2).join('.'); // the field inside the stage
    const o =
      applied.find((a) => a.path.slice(2).join('.') === key) ??
      applied.find((a) => key.startsWith(a.path.slice(2).join('.'))) ??
      applied.find((a) => a.path.slice(2).join('.').startsWith(key)) ??
      applied[applied.length - 1]!;
    if (!use.problems.has(o)) use.problems.set(o, []);
    use.problems.get(o)!.push({ message: d.message, hint: d.hint });
  }
}

/** The problems of stages changed by -S, at the -S argument, each message once. */
function overrideProblems(use: OverrideUse): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [o, problems] of use.problems) {
    const seen = new Set<string>();
    for (const p of problems) {
      if (seen.has(p.message)) continue;
      seen.add(p.message);
      out.push({
        file: '-S',
        path: o.raw,
        message: p.message,
        hint: p.hint ?? 'a stage changed by -S must still be valid; fix or drop this -S',
      });
    }
  }
  return out;
}

/** `-S stages.<id>.…` naming no template or instance. */
function unmatchedOverrides(
  overrides: readonly Override[],
  use: OverrideUse,
  byTemplate: ReadonlyMap<string, string[]>,
  file: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const o of overrides) {
    if (o.path[0] === 'stages' && !use.used.has(o)) {
      const ids = [...byTemplate.keys(), ...[...byTemplate.values()].flat()];
      out.push({
        file: '-S',
        path: o.raw,
        message: `no stage "${o.path[1]}" in ${file}`,
        hint: didYouMean(o.path[1]!, ids),
      });
    }
  }
  return out;
}

/** With `shell: true` the command is interpolated again, each value quoted for the shell (`${raw:x}` unquoted). */
function shellQuoteCmd(
  cmd: unknown,
  body: Body,
  ctx: Body,
  onError: (path: (string | number)[], message: string) => void,
): void {
  const one = (s: unknown, p: (string | number)[]): unknown => {
    if (typeof s !== 'string' || !s.includes('${')) return s;
    try {
      return interpolateShell(s, ctx);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      onError(p, err.message);
      return s;
    }
  };
  if (typeof cmd === 'string') body.cmd = one(cmd, ['cmd']);
  else if (Array.isArray(cmd)) body.cmd = cmd.map((c, i) => one(c, ['cmd', i]));
}
