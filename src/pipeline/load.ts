/**
 * `loadPipeline(file)`: parse the YAML keeping source positions, validate it against
 * schemas/pipeline.schema.json, apply `-S` overrides, interpolate `${…}`, expand foreach/matrix,
 * load each stage module and validate its params (filling defaults). Every problem is collected
 * and thrown at once as a PipelineValidationError.
 *
 * The phases, in order: read-pipeline-file.ts (bytes, YAML syntax), the document's schema and its
 * top-level -S (here), instantiate.ts (templates to instances), resolve-node.ts (each instance to
 * a node), `needs` (here), path-checks.ts (outputs inside wdir, missing inputs, sibling owners).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { StageDefinition, StageRegistry } from '../stage/define.ts';
import { didYouMean } from '../suggest.ts';
import { ajvDiagnostics } from './ajv-errors.ts';
import { PipelineValidationError, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { instantiateStages } from './instantiate.ts';
import type { StagePaths } from './missing-inputs.ts';
import { attributeToOverrides } from './override-diagnostics.ts';
import { parseOverrides, setPath, type Override } from './overrides.ts';
import { missingInputs, ownerDiagnostics } from './path-checks.ts';
import { readPipelineFile } from './read-pipeline-file.ts';
import { resolveNode, type ResolveContext } from './resolve-node.ts';
import { validatePipelineSchema } from './schema-validators.ts';
import type { YamlSource } from './source.ts';
import { NO_STAGES } from './stage-module.ts';
import type { Pipeline, PipelineExecution, StageNode } from './types.ts';
import { checkVarOverrides } from './var-overrides.ts';
import { pipelineFileDir, resolveWdir } from './wdir.ts';

export { normalizeStagePath } from './stage-paths.ts';
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

type Body = Record<string, unknown>;

/** Loads, validates and resolves a pipeline file. Throws PipelineValidationError listing every problem. */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<Pipeline> {
  const { text, source } = readPipelineFile(file);
  const diags: Diagnostic[] = [];
  const raw = validateDocument(source, text, diags);
  const overrides = parseOverrides(options.overrides ?? [], diags);
  const { vars, name } = topLevelOverrides(raw, file, overrides);
  const fileDir = pipelineFileDir(file);
  const dir = resolveWdir(file, raw.wdir);
  checkWdir(raw.wdir, dir, source, diags);
  const { pending, byTemplate } = instantiateStages(raw.stages as Body, vars, overrides, file, source, diags);
  checkVarOverrides(overrides, raw.stages, raw.vars, diags);

  const definitions = new Map<string, StageDefinition>();
  const partial = new Map<string, StagePaths>();
  const ctx: ResolveContext = {
    fileDir,
    dir,
    registry: options.stages ?? NO_STAGES,
    source,
    diags,
    definitions,
    paramOverrides: options.paramOverrides ?? [],
    partial,
  };
  const nodes = await Promise.all(pending.map((p) => resolveNode(p, ctx)));
  const stages = nodes.filter((n): n is StageNode => n !== undefined);
  expandNeeds(stages, byTemplate, source, diags);

  // Missing inputs only when every stage's outputs are known: resolved, or derived from the params
  // as given by a stage whose params have problems (reported above).
  if (stages.length + partial.size === pending.length && !options.sourcesMayBeMissing)
    diags.push(...missingInputs(stages, dir, pending, source, partial));
  if (options.checkSiblings !== false && diags.length === 0) {
    const loadSibling = (f: string) =>
      loadPipeline(f, { stages: options.stages, checkSiblings: false, sourcesMayBeMissing: true });
    diags.push(...(await ownerDiagnostics(file, dir, stages, pending, source, loadSibling)));
  }
  if (diags.length) {
    const templateOf = (id: string) => [...byTemplate.entries()].find(([, ids]) => ids.includes(id))?.[0] ?? id;
    throw new PipelineValidationError(
      dedupe(sortDiagnostics(attributeToOverrides(diags, overrides, templateOf))),
      text,
    );
  }
  return { file, dir, fileDir, name, stages, definitions, execution: executionOf(raw, fileDir) };
}

/** The document checked against the pipeline schema (problems to `diags`); throws when it has no `stages` map at all. */
function validateDocument(source: YamlSource, text: string, diags: Diagnostic[]): Body {
  const raw = source.toJS() as Body | null;
  const validate = validatePipelineSchema();
  if (!validate(raw)) diags.push(...ajvDiagnostics(validate.errors ?? [], raw, source, []));
  if (
    raw === null ||
    typeof raw !== 'object' ||
    Array.isArray(raw) ||
    typeof raw.stages !== 'object' ||
    raw.stages === null
  ) {
    throw new PipelineValidationError(
      diags.length ? diags : [source.at([], 'expected a map with a "stages" key')],
      text,
    );
  }
  return raw;
}

/** `vars` and `name` with `-S vars.…` and `-S name=…` applied. */
function topLevelOverrides(raw: Body, file: string, overrides: readonly Override[]): { vars: Body; name: string } {
  const rawVars: Body =
    raw.vars !== null && typeof raw.vars === 'object' && !Array.isArray(raw.vars) ? (raw.vars as Body) : {};
  // A copy only when -S changes vars (raw is this call's own value; a big vars map is costly to clone).
  const vars: Body = overrides.some((o) => o.path[0] === 'vars') ? structuredClone(rawVars) : rawVars;
  let name = typeof raw.name === 'string' ? raw.name : path.basename(file).replace(/\.[^.]+$/, '');
  for (const o of overrides) {
    if (o.path[0] === 'vars') setPath(vars, o.path.slice(1), o.value);
    if (o.path[0] === 'name') name = String(o.value);
  }
  return { vars, name };
}

/** A `wdir` given in the file must be a folder. */
function checkWdir(wdir: unknown, dir: string, source: YamlSource, diags: Diagnostic[]): void {
  if (typeof wdir !== 'string') return;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    diags.push(
      source.at(['wdir'], `wdir "${wdir}" is not a folder (${dir})`, {
        hint: 'wdir is relative to the folder of the pipeline file; create the folder or fix the path',
      }),
    );
}

/** `needs`: template ids expand to all their instances; unknown ids are reported. */
function expandNeeds(
  stages: StageNode[],
  byTemplate: ReadonlyMap<string, string[]>,
  source: YamlSource,
  diags: Diagnostic[],
): void {
  const allIds = new Set(stages.map((s) => s.id));
  for (const s of stages) {
    const expanded: string[] = [];
    s.needs.forEach((need, i) => {
      const inst = byTemplate.get(need);
      if (inst) expanded.push(...inst);
      else if (allIds.has(need)) expanded.push(need);
      else {
        const hint = didYouMean(need, [...byTemplate.keys(), ...allIds]);
        diags.push(
          source.at(['stages', s.template, 'needs', i], `unknown stage "${need}" in needs`, {
            hint: hint ?? `stages: ${[...byTemplate.keys()].join(', ')}`,
          }),
        );
      }
    });
    s.needs = [...new Set(expanded)].filter((n) => n !== s.id);
  }
}

/** Where and how the pipeline runs (executor, Redis, queue, store), from the file. */
function executionOf(raw: Body, fileDir: string): PipelineExecution {
  return {
    executor: typeof raw.executor === 'string' ? raw.executor : undefined, // one of the schema's names
    redis: typeof raw.redis === 'string' ? raw.redis : undefined,
    queue: typeof raw.queue === 'string' ? raw.queue : undefined,
    store: typeof raw.store === 'string' ? path.resolve(fileDir, raw.store) : undefined,
  };
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
