/**
 * Planning is a pure function: from the DAG, the lock file and each stage's current state
 * (code hash, params, input/output hashes, whether the run-cache holds its key) it decides which
 * stages run, which are restored from the run-cache and which are skipped, each with a reason.
 */
import { ancestors, descendants, type Graph } from '../../pipeline/graph.ts';
import type { LockEntry, LockFile } from '../lock/lock-file.ts';
import { stableStringify } from '../../stable-json.ts';
import { codeWithEnvironment } from '../../host/run-key.ts';

export interface StageState {
  /** Current code identity (for a module stage: `moduleCode` with `environment`). */
  code: string;
  /** A module stage's code identity before its environment. */
  moduleCode?: string;
  /** A module stage's declared environment variables that are set, with their values. */
  environment?: Record<string, string>;
  /** Resolved params. */
  params: Record<string, unknown>;
  /** Input path → current hash (null: missing). */
  inputs: Record<string, string | null>;
  /** Declared output path → current hash (null: missing). */
  outputs: Record<string, string | null>;
  /** Whether the run-cache has a result for (code, params, inputs). */
  runCached: boolean;
  /** The files behind a code change since the lock entry (code-manifest.ts), when known. */
  codeFiles?: string[];
}

export type StageAction = 'run' | 'restore' | 'skip';

export interface PlannedStage {
  id: string;
  action: StageAction;
  /** Main reason, e.g. `param changed: epochs 3→5`, `up to date`, `restored from run-cache`. */
  reason: string;
  /** All reasons found (the first is `reason`). */
  reasons: string[];
}

export interface PlanFlags {
  /** Stages asked for (with their out-of-date ancestors). Defaults to all. */
  targets?: readonly string[];
  /** Also select everything downstream of the targets. Defaults to false. */
  downstream?: boolean;
  /** Run the targets (and with `downstream` their descendants; without targets: all) even when up to date. Defaults to false. */
  force?: boolean;
}

export interface Plan {
  /** Selected stages in execution order. */
  stages: PlannedStage[];
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, stableStringify(v));
}

/** `param changed: epochs 3→5` lines for each differing (flattened) param. */
export function paramChanges(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x !== y) out.push(`param changed: ${k} ${x ?? '(unset)'}→${y ?? '(unset)'}`);
  }
  return out;
}

/** `environment changed: MLC_PIPE_WINOGRAD (unset)→off` lines for each differing variable. */
export function environmentChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((k) => before[k] !== after[k])
    .map((k) => `environment changed: ${k} ${before[k] ?? '(unset)'}→${after[k] ?? '(unset)'}`);
}

/** Why a stage is out of date relative to its lock entry, or [] when it is up to date. */
export function staleReasons(entry: LockEntry | undefined, state: StageState): string[] {
  if (!entry) return ['never run'];
  const reasons: string[] = [];
  if (entry.code !== state.code) {
    const env = environmentChanges(entry.environment ?? {}, state.environment ?? {});
    // The environment alone changed when the current code with the recorded environment is what ran.
    const onlyEnvironment =
      env.length > 0 &&
      state.moduleCode !== undefined &&
      codeWithEnvironment(state.moduleCode, entry.environment ?? {}) === entry.code;
    if (!onlyEnvironment)
      reasons.push(state.codeFiles?.length ? `code changed: ${state.codeFiles.join(', ')}` : 'code changed');
    reasons.push(...env);
  }
  reasons.push(...paramChanges(entry.params ?? {}, state.params));
  for (const [p, h] of Object.entries(state.inputs)) {
    if (h === null) reasons.push(`input missing: ${p}`);
    else if ((entry.inputs ?? {})[p] !== h) reasons.push(`input changed: ${p}`);
  }
  for (const p of Object.keys(entry.inputs ?? {})) if (!(p in state.inputs)) reasons.push(`input removed: ${p}`);
  for (const [p, h] of Object.entries(state.outputs)) {
    if (h === null) reasons.push(`output missing: ${p}`);
    else if ((entry.outputs ?? {})[p] !== h) reasons.push(`output changed: ${p}`);
  }
  return reasons;
}

/** The decision for one stage whose upstream is settled. */
export function decideStage(
  entry: LockEntry | undefined,
  state: StageState,
  forced: boolean,
): PlannedStage & { id: '' } {
  if (forced) return { id: '', action: 'run', reason: 'forced', reasons: ['forced'] };
  const reasons = staleReasons(entry, state);
  if (reasons.length === 0) return { id: '', action: 'skip', reason: 'up to date', reasons: ['up to date'] };
  const inputsKnown = Object.values(state.inputs).every((h) => h !== null);
  if (state.runCached && inputsKnown)
    return {
      id: '',
      action: 'restore',
      reason: 'restored from run-cache',
      reasons: ['restored from run-cache', ...reasons],
    };
  return { id: '', action: 'run', reason: reasons[0]!, reasons };
}

/** The selected stages in `g.order`. */
export function selectStages(g: Graph, flags: PlanFlags): { selected: Set<string>; forced: Set<string> } {
  const targets = flags.targets ?? [];
  if (targets.length === 0) {
    const all = new Set(g.order);
    return { selected: all, forced: flags.force ? all : new Set() };
  }
  const core = new Set(targets);
  if (flags.downstream) for (const d of descendants(g, targets)) core.add(d);
  const selected = new Set([...core, ...ancestors(g, core)]);
  return { selected, forced: flags.force ? core : new Set() };
}

/**
 * Plans a run. A stage whose upstream runs is planned to run too (`upstream changed: …`);
 * the runner decides again with fresh hashes once that upstream finished.
 */
export function planRun(
  g: Graph,
  lock: LockFile,
  states: ReadonlyMap<string, StageState>,
  flags: PlanFlags = {},
): Plan {
  const { selected, forced } = selectStages(g, flags);
  const planned = new Map<string, PlannedStage>();
  for (const id of g.order) {
    if (!selected.has(id)) continue;
    const state = states.get(id);
    if (!state) throw new Error(`planRun: no state for stage ${id}`);
    const d = { ...decideStage(lock.stages[id], state, forced.has(id)), id };
    const pending = [...g.upstream.get(id)!.keys()].filter((u) => {
      const p = planned.get(u);
      return p !== undefined && p.action !== 'skip';
    });
    const why = `upstream changed: ${pending.join(', ')}`;
    if (!pending.length || d.reason === 'forced') planned.set(id, d);
    else if (d.action === 'run') planned.set(id, { ...d, reasons: [...d.reasons, why] });
    else
      planned.set(id, {
        id,
        action: 'run',
        reason: why,
        reasons: d.action === 'skip' ? [why] : [...d.reasons.slice(1), why],
      });
  }
  return { stages: [...planned.values()] };
}
