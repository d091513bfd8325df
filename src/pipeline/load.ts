/**
 * `loadPipeline(file)`: parse the YAML keeping source positions, validate it against
 * schemas/pipeline.schema.json, apply `-S` overrides, interpolate `${…}`, expand foreach/matrix,
 * load each stage module and validate its params (filling defaults). Every problem is collected
 * and thrown at once as a PipelineValidationError.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { TObject } from '@sinclair/typebox';
import { ConfigError } from '../errors.ts';
import type { StageDefinition, StageRegistry } from '../stage/define.ts';
import { fromPackageRoot } from '../package-root.ts';
import { ajvDiagnostics, describeValue } from './ajv-errors.ts';
import { attributeToOverrides } from './override-diagnostics.ts';
import { PipelineValidationError, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { expandStage } from './expand.ts';
import { MAX_NESTING, tooDeep } from './fast-parse.ts';
import { bytePosition, firstInvalidUtf8 } from './utf8.ts';
import { interpolateDeep, InterpolationError } from './interpolate.ts';
import { interpolateShell } from './shell-quote.ts';
import { parseOverrides, setPath } from './overrides.ts';
import { YamlSource, type KeyPath } from './source.ts';
import { isPathSpecifier, NO_STAGES, resolveStageModule } from './stage-module.ts';
import { didYouMean } from '../suggest.ts';
import { pipelineFileDir, resolveWdir } from './wdir.ts';
import { outputPlace } from './inside-dir.ts';
import { sharedOutputs, siblingPipelineFiles } from './output-owners.ts';
import { unproducedMissingInputs, type StagePaths } from './missing-inputs.ts';
import type { CmdStageNode, ModuleStageNode, Pipeline, PipelineExecution, StageNode } from './types.ts';

export interface LoadOptions {
  /** `-S key=value` overrides. Defaults to []. */
  overrides?: readonly string[];
  /** What `uses: <name>` resolves to. Defaults to no names (only paths); callers pass `builtinStages`. */
  stages?: StageRegistry;
  /**
   * Params set on every module stage whose schema has them, after `-S` (the CLI's `--engine` and
   * `--threads`). `flag` names the option in diagnostics. Defaults to [].
   */
  paramOverrides?: readonly ParamOverride[];
  /**
   * Accept stage inputs that neither exist nor are written by a stage (`mlc-pipe pull` into a fresh
   * clone, which is about to fetch them). Defaults to false.
   */
  sourcesMayBeMissing?: boolean;
  /**
   * Refuse outputs that another pipeline file in the same folder also declares (src/pipeline/output-owners.ts).
   * Defaults to true; false when loading those other files for the check.
   */
  checkSiblings?: boolean;
}

/** One param for every stage that has it, e.g. `{ flag: '--engine', param: 'engine', value: 'cpu' }`. */
export interface ParamOverride {
  flag: string;
  param: string;
  value: unknown;
}

const SCHEMA_PATH = fromPackageRoot('schemas', 'pipeline.schema.json');
let pipelineValidator: ValidateFunction | undefined;
let pipelineAjv: Ajv2020 | undefined;
function validatePipelineSchema(): ValidateFunction {
  if (!pipelineValidator) {
    const ajv = (pipelineAjv = new Ajv2020({ allErrors: true, verbose: true, strict: false, strictNumbers: true }));
    pipelineValidator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  return pipelineValidator;
}

/** The schema of one stage body (the pipeline schema's `$defs/stage`), for bodies changed by -S. */
function validateStageSchema(): ValidateFunction {
  const whole = validatePipelineSchema() as ValidateFunction & { schema: { $id?: string } };
  return pipelineAjv!.getSchema(`${whole.schema.$id ?? ''}#/$defs/stage`)!;
}

const paramsAjv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false, strictNumbers: true });
const paramValidators = new WeakMap<object, ValidateFunction>();
function paramsValidator(schema: TObject): ValidateFunction {
  let v = paramValidators.get(schema);
  if (!v) {
    v = paramsAjv.compile(schema);
    paramValidators.set(schema, v);
  }
  return v;
}

/** Normalizes a stage path: posix separators, no `./`, no trailing slash. */
export function normalizeStagePath(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/'));
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

type Body = Record<string, unknown>;
const CMD_ONLY = ['cmd', 'deps', 'outs', 'code', 'params', 'env', 'shell'] as const;

/** Loads, validates and resolves a pipeline file. Throws PipelineValidationError listing every problem. */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<Pipeline> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read pipeline file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      hint: 'pass the path of a pipeline YAML file, or create one with `mlc-pipe init`',
    });
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const at = bytePosition(bytes, bad);
    throw new PipelineValidationError([{ file, ...at, path: '', message: `not UTF-8: byte 0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')} at line ${at.line}, column ${at.col} is not valid UTF-8 (Latin-1 or another 8-bit encoding?)`, hint: `save the file as UTF-8, e.g. \`iconv -f latin1 -t utf-8 ${file} > fixed.yaml\`` }]);
  }
  const text = bytes.toString('utf8');
  const source = new YamlSource(file, text);
  // Only a document the fast path could not read may be too deep for the recursive `yaml` library.
  const deep = source.fastPath ? undefined : tooDeep(text);
  if (deep) {
    throw new PipelineValidationError([{ file, ...deep, path: '', message: `maps and lists nest deeper than ${MAX_NESTING} levels`, hint: 'a pipeline needs a few levels; flatten the document' }], text);
  }
  const syntax = source.syntaxDiagnostics();
  if (syntax.length) throw new PipelineValidationError(syntax, text);

  const diags: Diagnostic[] = [];
  const raw = source.toJS() as Body | null;
  const validate = validatePipelineSchema();
  if (!validate(raw)) diags.push(...ajvDiagnostics(validate.errors ?? [], raw, source, []));
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || typeof raw.stages !== 'object' || raw.stages === null) {
    throw new PipelineValidationError(diags.length ? diags : [source.at([], 'expected a map with a "stages" key')], text);
  }

  const overrides = parseOverrides(options.overrides ?? [], diags);
  const rawVars: Body = raw.vars !== null && typeof raw.vars === 'object' && !Array.isArray(raw.vars) ? (raw.vars as Body) : {};
  // A copy only when -S changes vars (raw is this call's own value; a big vars map is costly to clone).
  const vars: Body = overrides.some((o) => o.path[0] === 'vars') ? structuredClone(rawVars) : rawVars;
  let name = typeof raw.name === 'string' ? raw.name : path.basename(file).replace(/\.[^.]+$/, '');
  for (const o of overrides) {
    if (o.path[0] === 'vars') setPath(vars, o.path.slice(1), o.value);
    if (o.path[0] === 'name') name = String(o.value);
  }

  const fileDir = pipelineFileDir(file);
  const dir = resolveWdir(file, raw.wdir);
  if (typeof raw.wdir === 'string') {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) diags.push(source.at(['wdir'], `wdir "${raw.wdir}" is not a folder (${dir})`, { hint: 'wdir is relative to the folder of the pipeline file; create the folder or fix the path' }));
  }
  const templates = Object.entries(raw.stages as Record<string, unknown>).filter(
    (e): e is [string, Body] => e[1] !== null && typeof e[1] === 'object' && !Array.isArray(e[1]),
  );
  const byTemplate = new Map<string, string[]>();
  const usedOverrides = new Set<Override>();
  const overridden = new Map<Override, { message: string; hint?: string }[]>(); // -S arguments that made a stage invalid, with the problems
  type Pending = { tid: string; id: string; body: Body };
  const pending: Pending[] = [];

  for (const [tid, tbody] of templates) {
    const base = ['stages', tid];
    const { foreach: _f, matrix: _m, ...template } = tbody;
    // foreach/matrix may themselves come from vars: `foreach: ${models}`.
    const varCtx = scope(vars, { vars });
    const loops: Body = {};
    for (const k of ['foreach', 'matrix'] as const) {
      if (tbody[k] !== undefined) loops[k] = interpolateDeep(tbody[k], varCtx, (p, message) => diags.push(source.at([...base, k, ...p], message)));
    }
    const notCollection = (v: unknown) => v === null || typeof v !== 'object';
    if ((loops.foreach !== undefined && notCollection(loops.foreach)) || (loops.matrix !== undefined && (typeof loops.matrix !== 'object' || loops.matrix === null || Object.values(loops.matrix).some((v) => !Array.isArray(v))))) {
      diags.push(source.at([...base, loops.foreach !== undefined ? 'foreach' : 'matrix'], 'foreach takes a list or a map, matrix a map of lists (directly or from ${…})'));
      continue;
    }
    const instances = expandStage(tid, loops);
    byTemplate.set(tid, instances.map((i) => i.id));
    for (const inst of instances) {
      const ctx = scope(vars, { vars, ...inst.ctx });
      const body = interpolateDeep(template, ctx, (p, message) => {
        diags.push(source.at([...base, ...p], message));
      }) as Body;
      if (body.shell === true) shellQuoteCmd(template.cmd, body, ctx, (p, message) => diags.push(source.at([...base, ...p], message)));
      const applied: Override[] = [];
      for (const o of overrides) {
        if (o.path[0] === 'stages' && (o.path[1] === inst.id || o.path[1] === tid)) {
          setPath(body, o.path.slice(2), o.value);
          usedOverrides.add(o);
          applied.push(o);
        }
      }
      // A stage changed by -S is validated as a whole, like the file; each problem names the -S argument.
      if (applied.length) {
        const check = validateStageSchema();
        if (!check(body)) {
          for (const d of ajvDiagnostics(check.errors ?? [], body, source, base)) {
            const key = d.path.split('.').slice(2); // the field inside the stage
            const o = applied.find((a) => a.path.slice(2).join('.') === key.join('.')) ?? applied.find((a) => key.join('.').startsWith(a.path.slice(2).join('.'))) ?? applied.find((a) => a.path.slice(2).join('.').startsWith(key.join('.'))) ?? applied[applied.length - 1]!;
            if (!overridden.has(o)) overridden.set(o, []);
            overridden.get(o)!.push({ message: d.message, hint: d.hint });
          }
        }
      }
      pending.push({ tid, id: inst.id, body });
    }
  }
  for (const [o, problems] of overridden) {
    const seen = new Set<string>();
    for (const p of problems) {
      if (seen.has(p.message)) continue;
      seen.add(p.message);
      diags.push({ file: '-S', path: o.raw, message: p.message, hint: p.hint ?? 'a stage changed by -S must still be valid; fix or drop this -S' });
    }
  }
  for (const o of overrides) {
    if (o.path[0] === 'stages' && !usedOverrides.has(o)) {
      const ids = [...byTemplate.keys(), ...[...byTemplate.values()].flat()];
      diags.push({ file: '-S', path: o.raw, message: `no stage "${o.path[1]}" in ${file}`, hint: didYouMean(o.path[1]!, ids) });
    }
  }

  checkVarOverrides(overrides, raw.stages, raw.vars, diags);

  const definitions = new Map<string, StageDefinition>();
  const registry = options.stages ?? NO_STAGES;
  const paramOverrides = options.paramOverrides ?? [];
  const partial = new Map<string, StagePaths>(); // stages whose params have problems: their paths from the params as given
  const nodes = await Promise.all(pending.map((p) => resolveNode(p.tid, p.id, p.body, fileDir, dir, registry, source, diags, definitions, paramOverrides, partial)));
  const stages = nodes.filter((n): n is StageNode => n !== undefined);

  // needs: template ids expand to all their instances.
  const allIds = new Set(stages.map((s) => s.id));
  for (const s of stages) {
    const expanded: string[] = [];
    s.needs.forEach((need, i) => {
      const inst = byTemplate.get(need);
      if (inst) expanded.push(...inst);
      else if (allIds.has(need)) expanded.push(need);
      else {
        const hint = didYouMean(need, [...byTemplate.keys(), ...allIds]);
        diags.push(source.at(['stages', s.template, 'needs', i], `unknown stage "${need}" in needs`, { hint: hint ?? `stages: ${[...byTemplate.keys()].join(', ')}` }));
      }
    });
    s.needs = [...new Set(expanded)].filter((n) => n !== s.id);
  }

  // Missing inputs only when every stage's outputs are known: resolved, or derived from the params
  // as given by a stage whose params have problems (reported above).
  if (stages.length + partial.size === pending.length && !options.sourcesMayBeMissing) diags.push(...missingInputs(stages, dir, pending, source, partial));
  if (options.checkSiblings !== false && diags.length === 0) diags.push(...(await ownerDiagnostics(file, dir, stages, pending, source, options)));
  if (diags.length) {
    const templateOf = (id: string) => [...byTemplate.entries()].find(([, ids]) => ids.includes(id))?.[0] ?? id;
    throw new PipelineValidationError(dedupe(sortDiagnostics(attributeToOverrides(diags, overrides, templateOf))), text);
  }
  const execution: PipelineExecution = {
    executor: raw.executor === 'local' || raw.executor === 'bullmq' ? raw.executor : undefined,
    redis: typeof raw.redis === 'string' ? raw.redis : undefined,
    queue: typeof raw.queue === 'string' ? raw.queue : undefined,
    store: typeof raw.store === 'string' ? path.resolve(fileDir, raw.store) : undefined,
  };
  return { file, dir, fileDir, name, stages, definitions, execution };
}

/**
 * Outputs another pipeline file in this folder also declares: refused at this file's outs entry
 * (or param), naming the other file's stage at its line. A sibling that does not load is skipped
 * (its own validation reports it).
 */
async function ownerDiagnostics(file: string, dir: string, stages: StageNode[], pending: Array<{ id: string; tid: string; body: Body }>, source: YamlSource, options: LoadOptions): Promise<Diagnostic[]> {
  const others: { file: string; dir: string; stages: StageNode[] }[] = [];
  for (const f of siblingPipelineFiles(file)) {
    try {
      const p = await loadPipeline(f, { stages: options.stages, checkSiblings: false, sourcesMayBeMissing: true });
      others.push({ file: path.relative(path.dirname(path.resolve(file)), f), dir: p.dir, stages: p.stages });
    } catch {
      // not a loadable pipeline: nothing to compare
    }
  }
  const bodies = new Map(pending.map((p) => [p.id, p.body]));
  return sharedOutputs(dir, stages, others).map(({ stage, output, other }) => {
    const at = valuePosition(stage, bodies.get(stage.id) ?? {}, stage.kind === 'cmd' ? 'outs' : undefined, output);
    const where = other.stage.pos ? `${other.file}:${other.stage.pos.line}:${other.stage.pos.col}` : other.file;
    return source.at(at, `output "${output}" of stage "${stage.id}" is also written by stage "${other.stage.id}" of ${where}${other.output === output ? '' : ` (its output "${other.output}")`}`, {
      key: at.length === 2,
      hint: 'an output has one owner: rename or move one of them, or put both stages in one pipeline file (two pipelines in one folder would overwrite each other\'s results)',
    });
  });
}

/** The hint for an unknown param with no close match: where to read the params, not all of them. */
function paramsHint(uses: string, known: string[]): string {
  const list = known.length <= 8 ? `: ${known.join(', ')}` : '';
  return isPathSpecifier(uses) ? `the stage takes ${known.length} params${list}` : `\`mlc-pipe stages ${uses}\` lists its ${known.length} params${list}`;
}

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
function checkVarOverrides(overrides: readonly Override[], stages: unknown, vars: unknown, diags: Diagnostic[]): void {
  const used = referencedVars(stages);
  const declared = vars !== null && typeof vars === 'object' ? Object.keys(vars) : [];
  for (const o of overrides) {
    if (o.path[0] !== 'vars') continue;
    const name = o.path[1]!;
    if (used.has(name)) continue;
    const hint = didYouMean(name, [...used]) ?? (used.size ? `variables the stages use: ${[...used].join(', ')}` : 'no stage uses a ${…} variable');
    diags.push({ file: '-S', path: o.raw, message: `nothing in the pipeline uses \${${name}}${declared.includes(name) ? '' : ` (vars has no "${name}")`}, so this override changes nothing`, hint });
  }
}

/**
 * Inputs that do not exist and that no stage writes (an output, or a path inside an output
 * folder): the run would fail on them. Reported at the param whose value names the input, else
 * at the stage.
 */
function missingInputs(stages: StageNode[], dir: string, pending: Array<{ id: string; tid: string; body: Body }>, source: YamlSource, partial: ReadonlyMap<string, StagePaths>): Diagnostic[] {
  const byId = new Map(stages.map((s) => [s.id, s]));
  // In pipeline order (for the hint): resolved stages, and those whose params have problems.
  const all = pending.flatMap((p) => {
    const s = byId.get(p.id) ?? (partial.has(p.id) ? { kind: 'module' as const, template: p.tid, ...partial.get(p.id)! } : undefined);
    return s ? [{ ...s, body: p.body }] : [];
  });
  const outputs = all.flatMap((s) => s.outputs);
  return unproducedMissingInputs(all, dir).map(({ stage: s, input }) => {
    const hint = didYouMean(input, outputs) ?? `create it, fix the path, or add the stage that writes it${outputs.length ? ` (stages write: ${outputs.slice(0, 6).join(', ')}${outputs.length > 6 ? ', …' : ''})` : ''}`;
    return source.at(inputPosition(s, s.body, input), `input "${input}" of stage "${s.template}" does not exist and no stage writes it`, { hint });
  });
}

/** The YAML path of the param (or cmd dep) whose value is `input`, else the stage itself. */
function inputPosition(s: Pick<StageNode, 'kind' | 'template'>, body: Body, input: string): KeyPath {
  return valuePosition(s, body, s.kind === 'cmd' ? 'deps' : undefined, input);
}

/** The YAML path of the `with` param (module stage) or `cmdKey` entry (cmd stage) whose value is `value`, else the stage. */
function valuePosition(s: Pick<StageNode, 'kind' | 'template'>, body: Body, cmdKey: 'deps' | 'outs' | undefined, value: string): KeyPath {
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

type Override = ReturnType<typeof parseOverrides>[number];

/**
 * The interpolation context `{ ...vars, ...own }` without copying vars (a pipeline may have tens of
 * thousands): `own` on top of a prototype chain to `vars`; lookups use `in`, which follows it.
 */
function scope(vars: Body, own: Body): Body {
  return Object.assign(Object.create(vars) as Body, own);
}

/** With `shell: true` the command is interpolated again, each value quoted for the shell (`${raw:x}` unquoted). */
function shellQuoteCmd(cmd: unknown, body: Body, ctx: Body, onError: (path: (string | number)[], message: string) => void): void {
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

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.path}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Strings of a list; interpolated numbers/booleans become text (`outs: ["\${item}"]`). */
function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x) => ['string', 'number', 'boolean'].includes(typeof x)).map(String) : [];
}

async function resolveNode(
  tid: string,
  id: string,
  body: Body,
  fileDir: string,
  dir: string,
  registry: StageRegistry,
  source: YamlSource,
  diags: Diagnostic[],
  definitions: Map<string, StageDefinition>,
  paramOverrides: readonly ParamOverride[] = [],
  partial?: Map<string, StagePaths>,
): Promise<StageNode | undefined> {
  const base = ['stages', tid];
  const keyPos = source.position(base, true);
  const pos = keyPos ? { line: keyPos.line, col: keyPos.col } : undefined;
  const needs = stringList(body.needs);
  const description = typeof body.description === 'string' ? body.description : undefined;
  const res = (body.resources ?? {}) as { cpu?: number; gpu?: number };
  const faults = {
    timeout: typeof body.timeout === 'number' ? body.timeout : undefined,
    retries: typeof body.retries === 'number' ? body.retries : 0,
    retryDelay: typeof body.retry_delay === 'number' ? body.retry_delay : 1,
  };
  const hasUses = body.uses !== undefined;
  const hasCmd = body.cmd !== undefined;
  if (hasUses === hasCmd) {
    diags.push(source.at(base, hasUses ? 'a stage has either "uses" or "cmd", not both' : 'a stage needs "uses" (a stage module) or "cmd" (a command)', { key: true }));
    return undefined;
  }
  if (hasCmd) {
    const n: CmdStageNode = {
      kind: 'cmd', id, template: tid, needs, description, pos, ...faults,
      cmd: Array.isArray(body.cmd) ? stringList(body.cmd) : String(body.cmd),
      shell: body.shell === true,
      code: stringList(body.code).map(normalizeStagePath),
      params: (body.params ?? {}) as Record<string, unknown>,
      env: (body.env ?? {}) as Record<string, string>,
      inputs: stringList(body.deps).map(normalizeStagePath),
      outputs: stringList(body.outs).map(normalizeStagePath),
      resources: { cpu: res.cpu ?? 1, gpu: res.gpu ?? 0 },
    };
    if (body.with !== undefined) diags.push(source.at([...base, 'with'], '"with" belongs to "uses" stages; a cmd stage takes "params"', { key: true }));
    checkOutputs(n, dir, body, source, diags);
    return n;
  }
  for (const k of CMD_ONLY) {
    if (body[k] !== undefined) diags.push(source.at([...base, k], `"${k}" belongs to cmd stages; a "uses" stage declares its inputs and outputs itself`, { key: true }));
  }
  if (typeof body.uses !== 'string') return undefined;
  const mod = await resolveStageModule(body.uses, fileDir, registry);
  if (!mod.ok) {
    diags.push(source.at([...base, 'uses'], mod.message, { hint: mod.hint }));
    return undefined;
  }
  const def = mod.definition;
  definitions.set(mod.path, def);
  const withBase = [...base, 'with'];
  const given = body.with === undefined ? {} : body.with;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return undefined; // schema error already reported
  const params = structuredClone(given) as Record<string, unknown>;
  const schema = def.params as TObject & { additionalProperties?: unknown };
  const known = Object.keys(schema.properties ?? {});
  let ok = true;
  for (const o of paramOverrides) {
    const prop = (schema.properties as Record<string, unknown> | undefined)?.[o.param];
    if (prop === undefined) continue;
    const check = paramsAjv.compile(prop as object);
    if (check(structuredClone(o.value))) params[o.param] = o.value;
    else diags.push(...ajvDiagnostics(check.errors ?? [], o.value, source, []).map((d) => ({ ...d, file: o.flag, path: describeValue(o.value), line: undefined, col: undefined })));
  }
  const closed = schema.additionalProperties === undefined || schema.additionalProperties === false;
  if (closed) {
    for (const k of Object.keys(params)) {
      if (!known.includes(k)) {
        ok = false;
        diags.push(source.at([...withBase, k], `unknown param "${k}" for stage "${def.name}"`, { key: true, hint: didYouMean(k, known) ?? paramsHint(body.uses, known) }));
      }
    }
  }
  const validate = paramsValidator(def.params);
  if (!validate(params)) {
    ok = false;
    // Unknown params are reported above, once each with a did-you-mean (not ajv's list of every key).
    const errors = (validate.errors ?? []).filter((e) => !(closed && e.keyword === 'additionalProperties' && e.instancePath === ''));
    diags.push(...ajvDiagnostics(errors, params, source, withBase));
  }
  if (!ok) {
    // The schema's defaults are filled in (ajv useDefaults), other problems are not: paths as given.
    const paths = (f: (p: never) => string[]) => {
      try {
        const v = f(params as never);
        return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.map(normalizeStagePath) : undefined;
      } catch {
        return undefined;
      }
    };
    const outputs = paths(def.outputs);
    if (outputs) partial?.set(id, { inputs: paths(def.inputs) ?? [], outputs }); // else unknown: the check waits for the fix
    return undefined;
  }
  let inputs: string[] = [];
  let outputs: string[] = [];
  let declared: { cpu?: number; gpu?: number } = {};
  try {
    inputs = def.inputs(params).map(normalizeStagePath);
    outputs = def.outputs(params).map(normalizeStagePath);
    declared = (typeof def.resources === 'function' ? def.resources(params) : def.resources) ?? {};
  } catch (err) {
    diags.push(source.at(withBase, `stage "${def.name}" cannot derive its inputs/outputs from these params: ${(err as Error).message}`));
    return undefined;
  }
  const n: ModuleStageNode = {
    kind: 'module', id, template: tid, needs, description, pos, ...faults,
    uses: body.uses, modulePath: mod.path, version: def.version, environment: [...(def.environment ?? [])], ...(def.cacheNeutral?.length ? { cacheNeutral: [...def.cacheNeutral] } : {}), params,
    inputs, outputs,
    resources: { cpu: res.cpu ?? declared.cpu ?? 1, gpu: res.gpu ?? declared.gpu ?? 0 },
  };
  checkOutputs(n, dir, body, source, diags);
  return n;
}

/**
 * Every output resolves inside the working folder (`..`, absolute paths and symbolic links
 * followed), reported at the `outs` entry or the param that names it.
 */
function checkOutputs(n: StageNode, dir: string, body: Body, source: YamlSource, diags: Diagnostic[]): void {
  for (const o of n.outputs) {
    const place = outputPlace(dir, o);
    if (place.inside) continue;
    const at = valuePosition(n, body, n.kind === 'cmd' ? 'outs' : undefined, o);
    const why = place.resolved === path.resolve(dir, o) ? '' : ` (it leads to ${place.resolved})`;
    diags.push(source.at(at, `output "${o}" of stage "${n.id}" is outside the working folder ${dir}${why}`, {
      key: at.length === 2,
      hint: 'outputs must be inside the working folder (wdir, by default the pipeline file\'s folder), and not the folder itself; write inside it, or replace the symbolic link by a folder (inputs may be read from anywhere)',
    }));
  }
}
