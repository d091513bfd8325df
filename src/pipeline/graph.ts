/**
 * The stage DAG: edges from `needs` and from paths (a stage reading a path that is, contains,
 * or lies inside another stage's output depends on that stage).
 */
import { DagError } from '../errors.ts';
import type { StageNode } from './types.ts';

export type EdgeReason = { kind: 'needs' } | { kind: 'path'; path: string };

export interface Graph {
  /** Stages by id, in declaration order. */
  stages: Map<string, StageNode>;
  /** id → ids it depends on (upstream), with why. */
  upstream: Map<string, Map<string, EdgeReason>>;
  /** id → ids that depend on it. */
  downstream: Map<string, Set<string>>;
  /** A topological order, stable with respect to declaration order. */
  order: string[];
}

/** Whether `a` equals `b` or one contains the other (as relative paths). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** `file:line:col stages.<template>` of a stage declared at a known position, else `stage "<id>"`. */
function where(file: string | undefined, s: StageNode | undefined, id: string): string {
  return file && s?.pos ? `${file}:${s.pos.line}:${s.pos.col} stages.${s.template}` : `stage "${id}"`;
}

/**
 * Builds the DAG. Throws DagError on duplicate/overlapping outputs or a cycle (spelled out), each
 * problem at the `file:line:col` of the stages involved when `file` (the pipeline file, as shown
 * to the user) is given.
 */
export function buildGraph(stages: readonly StageNode[], file?: string): Graph {
  const byId = new Map(stages.map((s) => [s.id, s] as const));
  const problems: string[] = [];
  const outs: { id: string; path: string }[] = stages.flatMap((s) => s.outputs.map((p) => ({ id: s.id, path: p })));
  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < outs.length; j++) {
      const a = outs[i]!;
      const b = outs[j]!;
      if (a.id !== b.id && pathsOverlap(a.path, b.path)) {
        const at = file && byId.get(b.id)?.pos ? `${where(file, byId.get(b.id), b.id)}: ` : '';
        const also = at && byId.get(a.id)?.pos ? ` (${a.id} is at ${file}:${byId.get(a.id)!.pos!.line})` : '';
        problems.push(
          a.path === b.path
            ? `${at}stages "${a.id}" and "${b.id}" both write "${a.path}"${also}`
            : `${at}stage "${a.id}" writes "${a.path}" and stage "${b.id}" writes "${b.path}", which overlap${also}`,
        );
      }
    }
  }
  if (problems.length) {
    throw new DagError(`${problems.join('\n')}`, {
      hint: 'give each stage its own output paths (e.g. add the stage id to the folder name)',
    });
  }

  const upstream = new Map<string, Map<string, EdgeReason>>(stages.map((s) => [s.id, new Map()]));
  const downstream = new Map<string, Set<string>>(stages.map((s) => [s.id, new Set()]));
  const addEdge = (from: string, to: string, why: EdgeReason) => {
    if (from === to) return;
    const up = upstream.get(to)!;
    if (!up.has(from)) up.set(from, why);
    downstream.get(from)!.add(to);
  };
  for (const s of stages) {
    for (const n of s.needs) if (byId.has(n)) addEdge(n, s.id, { kind: 'needs' });
    for (const input of s.inputs) {
      for (const o of outs)
        if (o.id !== s.id && pathsOverlap(input, o.path)) addEdge(o.id, s.id, { kind: 'path', path: input });
    }
  }

  const cycle = findCycle(
    stages.map((s) => s.id),
    upstream,
  );
  if (cycle) {
    const steps = cycle.map((id, i) => {
      if (i === 0) return id;
      const why = upstream.get(id)!.get(cycle[i - 1]!)!;
      return `${why.kind === 'path' ? `(${why.path}) ` : '(needs) '}→ ${id}`;
    });
    const at = file && byId.get(cycle[0]!)?.pos ? `${where(file, byId.get(cycle[0]!), cycle[0]!)}: ` : '';
    const lines = at
      ? `\n${cycle
          .slice(0, -1)
          .map((id) => `  ${where(file, byId.get(id), id)}`)
          .join('\n')}`
      : '';
    throw new DagError(`${at}dependency cycle: ${steps.join(' ')}${lines}`, {
      hint: 'remove one of these edges: a stage cannot depend on its own outputs',
    });
  }

  // Kahn's algorithm, picking ready stages in declaration order.
  const indeg = new Map(stages.map((s) => [s.id, upstream.get(s.id)!.size]));
  const order: string[] = [];
  const declared = stages.map((s) => s.id);
  const done = new Set<string>();
  while (order.length < declared.length) {
    const next = declared.find((id) => !done.has(id) && indeg.get(id) === 0)!;
    order.push(next);
    done.add(next);
    for (const d of downstream.get(next)!) indeg.set(d, indeg.get(d)! - 1);
  }
  return { stages: byId, upstream, downstream, order };
}

/** A cycle as [a, b, …, a] following upstream→downstream edges, or undefined. */
function findCycle(ids: string[], upstream: Map<string, Map<string, EdgeReason>>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const up of upstream.get(id)!.keys()) {
      const s = state.get(up);
      if (s === 1) {
        // The walk goes upstream, so the data flows through the stack in reverse.
        const flow = stack.slice(stack.indexOf(up)).reverse();
        const first = flow.reduce((best, x) => (ids.indexOf(x) < ids.indexOf(best) ? x : best));
        const k = flow.indexOf(first);
        const rotated = [...flow.slice(k), ...flow.slice(0, k)];
        return [...rotated, rotated[0]!];
      }
      if (s === undefined) {
        const c = visit(up);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of ids) {
    if (!state.has(id)) {
      const c = visit(id);
      if (c) return c;
    }
  }
  return undefined;
}

/** All stages reachable downstream of `ids` (excluding `ids`). */
export function descendants(g: Graph, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...ids];
  while (queue.length) {
    for (const d of g.downstream.get(queue.pop()!) ?? []) {
      if (!out.has(d)) {
        out.add(d);
        queue.push(d);
      }
    }
  }
  return out;
}

/** All stages upstream of `ids` (excluding `ids`). */
export function ancestors(g: Graph, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...ids];
  while (queue.length) {
    for (const u of g.upstream.get(queue.pop()!)?.keys() ?? []) {
      if (!out.has(u)) {
        out.add(u);
        queue.push(u);
      }
    }
  }
  return out;
}
