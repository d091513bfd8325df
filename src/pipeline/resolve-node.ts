/**
 * From one interpolated stage instance to its node: a cmd stage takes its paths from deps/outs; a
 * module stage (`uses`) loads its module, validates its params (filling in defaults, applying the
 * CLI's param flags) and derives its inputs, outputs and resources from them. Problems go to
 * `ctx.diags`; a stage with problems resolves to undefined.
 */
import type { TObject } from '@sinclair/typebox';
import type { StageDefinition, StageGang, StageRegistry } from '../stage/define.ts';
import { didYouMean } from '../suggest.ts';
import { ajvDiagnostics, describeValue } from './ajv-errors.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { PendingStage } from './instantiate.ts';
import type { ParamOverride } from './load.ts';
import type { StagePaths } from './missing-inputs.ts';
import { checkOutputs } from './path-checks.ts';
import { paramsValidator, paramValidator } from './schema-validators.ts';
import type { KeyPath, YamlSource } from './source.ts';
import { isPathSpecifier, resolveStageModule } from './stage-module.ts';
import { normalizeStagePath, stringList } from './stage-paths.ts';
import type { CmdStageNode, ModuleStageNode, StageNode } from './types.ts';

type Body = Record<string, unknown>;
const CMD_ONLY = ['cmd', 'deps', 'outs', 'code', 'params', 'env', 'shell'] as const;

/** What every node of one pipeline file resolves against, and where results and problems go. */
export interface ResolveContext {
  /** The pipeline file's folder (stage module paths are relative to it). */
  fileDir: string;
  /** The working folder. */
  dir: string;
  registry: StageRegistry;
  source: YamlSource;
  diags: Diagnostic[];
  /** Filled: each loaded module's path → its definition. */
  definitions: Map<string, StageDefinition>;
  paramOverrides: readonly ParamOverride[];
  /** Filled: stages whose params have problems → their paths from the params as given. */
  partial: Map<string, StagePaths>;
}

/** The fields every node has, read from the body. */
type CommonFields = Pick<
  StageNode,
  'id' | 'template' | 'needs' | 'description' | 'pos' | 'timeout' | 'retries' | 'retryDelay'
>;

/** The node of one stage instance, or undefined when it has problems (reported). */
export async function resolveNode(
  { tid, id, body }: PendingStage,
  ctx: ResolveContext,
): Promise<StageNode | undefined> {
  const base = ['stages', tid];
  const hasUses = body.uses !== undefined;
  const hasCmd = body.cmd !== undefined;
  if (hasUses === hasCmd) {
    ctx.diags.push(
      ctx.source.at(
        base,
        hasUses
          ? 'a stage has either "uses" or "cmd", not both'
          : 'a stage needs "uses" (a stage module) or "cmd" (a command)',
        { key: true },
      ),
    );
    return undefined;
  }
  const common = commonFields(tid, id, body, ctx.source);
  return hasCmd ? resolveCmdNode(common, body, ctx) : resolveModuleNode(common, body, ctx);
}

function commonFields(tid: string, id: string, body: Body, source: YamlSource): CommonFields {
  const keyPos = source.position(['stages', tid], true);
  return {
    id,
    template: tid,
    needs: stringList(body.needs),
    description: typeof body.description === 'string' ? body.description : undefined,
    pos: keyPos ? { line: keyPos.line, col: keyPos.col } : undefined,
    timeout: typeof body.timeout === 'number' ? body.timeout : undefined,
    retries: typeof body.retries === 'number' ? body.retries : 0,
    retryDelay: typeof body.retry_delay === 'number' ? body.retry_delay : 1,
  };
}

function givenResources(body: Body): { cpu?: number; gpu?: number } {
  return (body.resources ?? {}) as { cpu?: number; gpu?: number };
}

function resolveCmdNode(common: CommonFields, body: Body, ctx: ResolveContext): CmdStageNode {
  const res = givenResources(body);
  const n: CmdStageNode = {
    kind: 'cmd',
    ...common,
    cmd: Array.isArray(body.cmd) ? stringList(body.cmd) : String(body.cmd),
    shell: body.shell === true,
    code: stringList(body.code).map(normalizeStagePath),
    params: (body.params ?? {}) as Record<string, unknown>,
    env: (body.env ?? {}) as Record<string, string>,
    inputs: stringList(body.deps).map(normalizeStagePath),
    outputs: stringList(body.outs).map(normalizeStagePath),
    resources: { cpu: res.cpu ?? 1, gpu: res.gpu ?? 0 },
  };
  if (body.with !== undefined)
    ctx.diags.push(
      ctx.source.at(
        ['stages', common.template, 'with'],
        '"with" belongs to "uses" stages; a cmd stage takes "params"',
        { key: true },
      ),
    );
  checkOutputs(n, ctx.dir, body, ctx.source, ctx.diags);
  return n;
}

async function resolveModuleNode(
  common: CommonFields,
  body: Body,
  ctx: ResolveContext,
): Promise<ModuleStageNode | undefined> {
  const base = ['stages', common.template];
  for (const k of CMD_ONLY) {
    if (body[k] !== undefined)
      ctx.diags.push(
        ctx.source.at(
          [...base, k],
          `"${k}" belongs to cmd stages; a "uses" stage declares its inputs and outputs itself`,
          { key: true },
        ),
      );
  }
  if (typeof body.uses !== 'string') return undefined;
  const mod = await resolveStageModule(body.uses, ctx.fileDir, ctx.registry);
  if (!mod.ok) {
    ctx.diags.push(ctx.source.at([...base, 'uses'], mod.message, { hint: mod.hint }));
    return undefined;
  }
  const def = mod.definition;
  ctx.definitions.set(mod.path, def);
  const given = body.with === undefined ? {} : body.with;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return undefined; // schema error already reported
  let params = structuredClone(given) as Record<string, unknown>;
  if (!checkParams(def, body.uses, params, [...base, 'with'], ctx)) {
    const paths = pathsAsGiven(def, params);
    if (paths) ctx.partial.set(common.id, paths); // else unknown: the missing-inputs check waits for the fix
    return undefined;
  }
  // Machine-dependent choices resolved (precision: auto → what runs here), so the key holds them.
  if (def.resolveParams) params = def.resolveParams(params) as Record<string, unknown>;
  const derived = derivePaths(def, params, [...base, 'with'], ctx);
  if (!derived) return undefined;
  const res = givenResources(body);
  const n: ModuleStageNode = {
    kind: 'module',
    ...common,
    uses: body.uses,
    modulePath: mod.path,
    version: def.version,
    environment: [...(def.environment ?? [])],
    ...(def.cacheNeutral?.length ? { cacheNeutral: [...def.cacheNeutral] } : {}),
    params,
    inputs: derived.inputs,
    outputs: derived.outputs,
    resources: { cpu: res.cpu ?? derived.resources.cpu ?? 1, gpu: res.gpu ?? derived.resources.gpu ?? 0 },
    ...(derived.gang && derived.gang.size > 1 ? { gang: derived.gang } : {}),
  };
  checkOutputs(n, ctx.dir, body, ctx.source, ctx.diags);
  return n;
}

/** The hint for an unknown param with no close match: where to read the params, not all of them. */
function paramsHint(uses: string, known: string[]): string {
  const list = known.length <= 8 ? `: ${known.join(', ')}` : '';
  return isPathSpecifier(uses)
    ? `the stage takes ${known.length} params${list}`
    : `\`mlc-pipe stages ${uses}\` lists its ${known.length} params${list}`;
}

/**
 * Applies the CLI's param flags to `params`, then validates them against the stage's schema (which
 * fills in defaults). False when a param is unknown or invalid (reported).
 */
function checkParams(
  def: StageDefinition,
  uses: string,
  params: Record<string, unknown>,
  withBase: KeyPath,
  ctx: ResolveContext,
): boolean {
  const schema = def.params as TObject & { additionalProperties?: unknown };
  const known = Object.keys(schema.properties ?? {});
  let ok = true;
  for (const o of ctx.paramOverrides) {
    const prop = (schema.properties as Record<string, unknown> | undefined)?.[o.param];
    if (prop === undefined) continue;
    const check = paramValidator(prop as object);
    if (check(structuredClone(o.value))) params[o.param] = o.value;
    else
      ctx.diags.push(
        ...ajvDiagnostics(check.errors ?? [], o.value, ctx.source, []).map((d) => ({
          ...d,
          file: o.flag,
          path: describeValue(o.value),
          line: undefined,
          col: undefined,
        })),
      );
  }
  const closed = schema.additionalProperties === undefined || schema.additionalProperties === false;
  if (closed) {
    for (const k of Object.keys(params)) {
      if (!known.includes(k)) {
        ok = false;
        ctx.diags.push(
          ctx.source.at([...withBase, k], `unknown param "${k}" for stage "${def.name}"`, {
            key: true,
            hint: didYouMean(k, known) ?? paramsHint(uses, known),
          }),
        );
      }
    }
  }
  const validate = paramsValidator(def.params);
  if (!validate(params)) {
    ok = false;
    // Unknown params are reported above, once each with a did-you-mean (not ajv's list of every key).
    const errors = (validate.errors ?? []).filter(
      (e) => !(closed && e.keyword === 'additionalProperties' && e.instancePath === ''),
    );
    ctx.diags.push(...ajvDiagnostics(errors, params, ctx.source, withBase));
  }
  return ok;
}

/**
 * The paths of a stage whose params have problems, from the params as given (the schema's defaults
 * are filled in by ajv's useDefaults, other problems are not); undefined when its outputs cannot be derived.
 */
function pathsAsGiven(def: StageDefinition, params: Record<string, unknown>): StagePaths | undefined {
  const paths = (f: (p: never) => string[]) => {
    try {
      const v = f(params as never);
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.map(normalizeStagePath) : undefined;
    } catch {
      return undefined;
    }
  };
  const outputs = paths(def.outputs);
  return outputs ? { inputs: paths(def.inputs) ?? [], outputs } : undefined;
}

/** The stage's inputs, outputs and declared resources from valid params; undefined (reported) when its functions throw. */
function derivePaths(
  def: StageDefinition,
  params: Record<string, unknown>,
  withBase: KeyPath,
  ctx: ResolveContext,
): { inputs: string[]; outputs: string[]; resources: { cpu?: number; gpu?: number }; gang?: StageGang } | undefined {
  try {
    return {
      inputs: def.inputs(params).map(normalizeStagePath),
      outputs: def.outputs(params).map(normalizeStagePath),
      resources: (typeof def.resources === 'function' ? def.resources(params) : def.resources) ?? {},
      gang: def.gang?.(params),
    };
  } catch (err) {
    ctx.diags.push(
      ctx.source.at(
        withBase,
        `stage "${def.name}" cannot derive its inputs/outputs from these params: ${(err as Error).message}`,
      ),
    );
    return undefined;
  }
}
