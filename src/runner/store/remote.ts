/**
 * `mlc-pipe push` / `pull`: copy what a pipeline's lock file refers to between its local run-cache
 * (`.mlc/cache`) and a store (a folder, e.g. a shared mount), like DVC remotes. Each run in the
 * lock travels with its outputs; so do the lock's source inputs (inputs no stage produces), so a
 * fresh clone can start warm: after `pull`, `run` restores every stage instead of running it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { outputPlace } from '../../pipeline/inside-dir.ts';
import { ConfigError } from '../../errors.ts';
import { moveIntoPlace, tempOutputPath } from '../atomic.ts';
import { RunCache, runCacheKey } from './run-cache.ts';
import { StoreIntegrityError, type Store } from './store.ts';
import { copyRuns, type TransferCount } from './transfer.ts';
import { openWorkspace, type Workspace } from '../workspace.ts';

export interface RemoteOptions {
  /** The store folder (absolute or relative to the current folder). */
  store: string;
  /** `-S key=value` overrides (they change which runs the lock names). Defaults to []. */
  overrides?: readonly string[];
}

export interface RemoteResult extends TransferCount {
  /** Absolute store folder. */
  store: string;
  /** Source inputs copied (push: into the store; pull: into the working folder). */
  sources: number;
  /** Lock stage ids whose run the source side lacks. */
  missingStages: string[];
  /** Lock stage ids whose run was not copied because one of its objects was corrupt (now removed from the source). */
  corruptStages: string[];
}

/** Run key → stage id for every stage of the lock that is still in the pipeline. */
function lockedRuns(ws: Workspace): Map<string, string> {
  const runs = new Map<string, string>();
  for (const [id, e] of Object.entries(ws.lock.stages))
    if (ws.graph.stages.has(id)) runs.set(runCacheKey(e.code, e.params, e.inputs), id);
  return runs;
}

/** Input path → hash of the lock's inputs that no stage of the pipeline produces. */
function sourceInputs(ws: Workspace): Map<string, string> {
  const produced = new Set<string>();
  for (const n of ws.graph.stages.values()) for (const o of n.outputs) produced.add(o);
  const inside = (p: string) => [...produced].some((o) => p === o || p.startsWith(`${o}/`));
  const out = new Map<string, string>();
  for (const e of Object.values(ws.lock.stages)) {
    for (const [p, h] of Object.entries(e.inputs)) if (h !== null && !inside(p)) out.set(p, h);
  }
  return out;
}

async function prepare(
  file: string,
  options: RemoteOptions,
  verb: 'push' | 'pull',
): Promise<{ ws: Workspace; remote: Store; root: string }> {
  const ws = await openWorkspace(file, { overrides: options.overrides, sourcesMayBeMissing: verb === 'pull' });
  const root = path.resolve(options.store);
  if (verb === 'pull' && !existsSync(root)) {
    throw new ConfigError(`pull: store ${root} does not exist`, {
      hint: 'pass the folder that `mlc-pipe push` wrote to (--store DIR)',
    });
  }
  if (!Object.keys(ws.lock.stages).length) {
    throw new ConfigError(`${verb}: ${ws.lockFile} records no stage`, {
      hint: verb === 'push' ? 'run the pipeline first' : 'pull needs the lock file the pushing side committed',
    });
  }
  return { ws, remote: new RunCache(ws.pipeline.dir, root), root };
}

const missingStages = (runs: Map<string, string>, keys: string[]) => keys.map((k) => runs.get(k)!).sort();

/** Copies the lock's runs and source inputs from the working folder's run-cache to `options.store`. */
export async function pushPipeline(file: string, options: RemoteOptions): Promise<RemoteResult> {
  const { ws, remote, root } = await prepare(file, options, 'push');
  const runs = lockedRuns(ws);
  const count = copyRuns(ws.runCache, remote, runs.keys());
  let sources = 0;
  for (const [rel, hash] of sourceInputs(ws)) {
    if (remote.hasObject(hash) || ws.hashes.hash(rel) !== hash) continue; // gone or changed here: the lock's version is not ours to push
    remote.store({ [rel]: hash }, ws.hashes);
    sources++;
  }
  ws.hashes.save();
  return {
    ...count,
    store: root,
    sources,
    missingStages: missingStages(runs, count.missing),
    corruptStages: missingStages(runs, count.corrupt),
  };
}

/**
 * Copies the lock's runs from `options.store` into the working folder's run-cache, and puts in
 * place each source input that is missing here and that the store holds.
 */
export async function pullPipeline(file: string, options: RemoteOptions): Promise<RemoteResult> {
  const { ws, remote, root } = await prepare(file, options, 'pull');
  const runs = lockedRuns(ws);
  const count = copyRuns(remote, ws.runCache, runs.keys());
  let sources = 0;
  for (const [rel, hash] of sourceInputs(ws)) {
    const target = path.resolve(ws.pipeline.dir, rel);
    if (existsSync(target) || !remote.hasObject(hash)) continue;
    if (!outputPlace(ws.pipeline.dir, rel).inside) continue; // an input read from outside: pull never writes there
    const tmp = tempOutputPath(target);
    try {
      remote.fetchObject(hash, tmp);
    } catch (err) {
      if (err instanceof StoreIntegrityError) continue; // removed from the store; the run that needs it says so
      throw err;
    }
    moveIntoPlace(tmp, target);
    sources++;
  }
  return {
    ...count,
    store: root,
    sources,
    missingStages: missingStages(runs, count.missing),
    corruptStages: missingStages(runs, count.corrupt),
  };
}
