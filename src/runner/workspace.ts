/**
 * The project state a run works against: pipeline, DAG, lock, hash index, code identities,
 * run-cache; and each stage's current fingerprint (StageState).
 */
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { buildGraph, type Graph } from '../pipeline/graph.ts';
import { readFileSync } from 'node:fs';
import { didYouMean } from '../suggest.ts';
import type { ParamOverride } from '../pipeline/load.ts';
import type { Pipeline, StageNode } from '../pipeline/types.ts';
import type { StageRegistry } from '../stage/define.ts';
import { pipelineFileDir, workingDir } from '../pipeline/wdir.ts';
import { unproducedMissingInputs } from '../pipeline/missing-inputs.ts';
import { CodeIdentity } from './hash/code-identity.ts';
import { changedCodeFiles, recordCodeManifest } from './hash/code-manifest.ts';
import { HashIndex, sha256 } from './hash/hash-index.ts';
import { lockPathFor, readLock, type LockFile } from './lock/lock-file.ts';
import type { StageState } from './plan/plan.ts';
import { readResolved, resolveKey, writeResolved } from './plan/resolve-cache.ts';
import { RunCache, runCacheKey } from './store/run-cache.ts';
import { codeWithEnvironment, keyedParams } from '../host/run-key.ts';
import { stableStringify } from '../stable-json.ts';
import { declaredValues } from '../environment.ts';

export interface Workspace {
  pipeline: Pipeline;
  graph: Graph;
  lockFile: string;
  lock: LockFile;
  hashes: HashIndex;
  code: CodeIdentity;
  runCache: RunCache;
  /** `<working folder>/.mlc` */
  stateDir: string;
}

export interface OpenOptions {
  /** `-S key=value` overrides. Defaults to []. */
  overrides?: readonly string[];
  /** What `uses: <name>` resolves to. Defaults to the built-in stages. */
  stages?: StageRegistry;
  /** Params for every stage that has them (`--engine`, `--threads`). Defaults to []. */
  paramOverrides?: readonly ParamOverride[];
  /** Absolute folder of the run-cache store. Defaults to `<working folder>/.mlc/cache`. */
  store?: string;
  /** Accept inputs that are missing and that no stage writes (pull); nothing is then cached as resolved. Defaults to false. */
  sourcesMayBeMissing?: boolean;
}

/**
 * Loads and validates the pipeline (or takes it from the resolved-pipeline cache), builds the
 * DAG and opens the caches.
 */
export async function openWorkspace(file: string, options: OpenOptions = {}): Promise<Workspace> {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined; // loadPipeline reports it
  }
  const stateDir = path.join(text === undefined ? pipelineFileDir(file) : workingDir(file, text), '.mlc');
  const code = new CodeIdentity(stateDir);
  const key =
    text === undefined
      ? undefined
      : resolveKey(file, text, [
          ...(options.overrides ?? []),
          ...(options.paramOverrides ?? []).map((o) => `${o.flag}=${JSON.stringify(o.value)}`),
        ]);
  let pipeline = key === undefined ? undefined : readResolved(stateDir, file, key, code);
  // A cached resolution skips validation; an input deleted since is reported by a full load, at file:line:col.
  if (pipeline && !options.sourcesMayBeMissing && unproducedMissingInputs(pipeline.stages, pipeline.dir).length)
    pipeline = undefined;
  let fresh = false;
  if (!pipeline) {
    const { loadPipeline } = await import('../pipeline/load.ts');
    const { builtinStages } = await import('../../stages/registry.ts');
    pipeline = await loadPipeline(file, {
      overrides: options.overrides,
      stages: options.stages ?? builtinStages,
      paramOverrides: options.paramOverrides,
      sourcesMayBeMissing: options.sourcesMayBeMissing,
    });
    fresh = true;
  }
  const graph = buildGraph(pipeline.stages, file);
  const lockFile = lockPathFor(file);
  const ws: Workspace = {
    pipeline,
    graph,
    lockFile,
    lock: readLock(lockFile),
    hashes: new HashIndex(pipeline.dir),
    code,
    runCache: new RunCache(pipeline.dir, options.store),
    stateDir,
  };
  if (fresh && key !== undefined && !options.sourcesMayBeMissing) {
    for (const s of pipeline.stages) if (s.kind === 'module') await code.moduleHash(s.modulePath, s.version);
    code.save();
    writeResolved(stateDir, pipeline, key);
  }
  return ws;
}

/** Throws a ConfigError naming unknown `--stage` values (with a suggestion). */
export function checkTargets(ws: Workspace, targets: readonly string[]): string[] {
  const ids = [...ws.graph.stages.keys()];
  const out: string[] = [];
  for (const t of targets) {
    if (ws.graph.stages.has(t)) out.push(t);
    else {
      const inst = ids.filter((id) => id.startsWith(`${t}@`));
      if (inst.length) out.push(...inst);
      else {
        throw new ConfigError(`--stage ${t}: no such stage in ${ws.pipeline.file}`, {
          hint: didYouMean(t, ids) ?? `stages: ${ids.join(', ')}`,
        });
      }
    }
  }
  return out;
}

/**
 * Code identity of a stage. For a module stage: its import closure, plus the values of the
 * environment variables it declares (`environment`) when any is set, so that e.g.
 * MLC_PIPE_WINOGRAD=off reruns the stages whose numerics it changes.
 */
export async function codeHash(ws: Pick<Workspace, 'code' | 'hashes'>, node: StageNode): Promise<string> {
  if (node.kind === 'module')
    return codeWithEnvironment(await ws.code.moduleHash(node.modulePath, node.version), declaredEnvironment(node));
  const code: Record<string, string | null> = {};
  for (const c of node.code) code[c] = ws.hashes.hash(c);
  return sha256(stableStringify({ cmd: node.cmd, shell: node.shell, env: node.env, code }));
}

/** The values of the environment variables a module stage declares that are set now. */
export function declaredEnvironment(node: StageNode): Record<string, string> {
  if (node.kind !== 'module') return {};
  return declaredValues(node.environment ?? []);
}

/**
 * The params that identify a stage's run, in its cache key and in the lock: its params less the
 * ones it declares cache-neutral (threads, resume…), so changing those never reruns it.
 */
export function cacheParams(node: StageNode): Record<string, unknown> {
  return node.kind === 'module' ? keyedParams(node.params, node.cacheNeutral) : node.params;
}

/** The current fingerprint of a stage (hashes its inputs and outputs). */
export async function stageState(ws: Workspace, node: StageNode): Promise<StageState & { key: string }> {
  const environment = declaredEnvironment(node);
  const moduleCode = node.kind === 'module' ? await ws.code.moduleHash(node.modulePath, node.version) : undefined;
  const code = moduleCode !== undefined ? codeWithEnvironment(moduleCode, environment) : await codeHash(ws, node);
  const inputs: Record<string, string | null> = {};
  for (const p of node.inputs) inputs[p] = ws.hashes.hash(p);
  const outputs: Record<string, string | null> = {};
  for (const p of node.outputs) outputs[p] = ws.hashes.hash(p);
  const params = cacheParams(node);
  const key = runCacheKey(code, params, inputs);
  const runCached = Object.values(inputs).every((h) => h !== null) && ws.runCache.has(key);
  recordCodeManifest(ws, node, code);
  const recorded = ws.lock.stages[node.id];
  const codeFiles =
    recorded !== undefined && recorded.code !== code
      ? changedCodeFiles(ws.stateDir, recorded.code, code, ws.pipeline.dir)
      : undefined;
  return {
    code,
    ...(moduleCode !== undefined ? { moduleCode, environment } : {}),
    ...(codeFiles ? { codeFiles } : {}),
    params,
    inputs,
    outputs,
    runCached,
    key,
  };
}

/** Fingerprints of the given stages. */
export async function stageStates(
  ws: Workspace,
  ids: Iterable<string>,
): Promise<Map<string, StageState & { key: string }>> {
  const out = new Map<string, StageState & { key: string }>();
  for (const id of ids) out.set(id, await stageState(ws, ws.graph.stages.get(id)!));
  return out;
}
