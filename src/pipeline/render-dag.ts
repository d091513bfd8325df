/**
 * Text renderings of the DAG: an indented ascii listing, Mermaid and Graphviz dot.
 */
import type { Graph } from './graph.ts';

/** The formats `renderDag` draws (and `mlc-pipe dag --format` offers). */
export const DAG_FORMATS = ['ascii', 'mermaid', 'dot'] as const;
export type DagFormat = (typeof DAG_FORMATS)[number];

/** Renders the graph in `format`. */
export function renderDag(g: Graph, format: DagFormat): string {
  if (format === 'mermaid') return renderMermaid(g);
  if (format === 'dot') return renderDot(g);
  return renderAscii(g);
}

/** One stage of `dag --json`. */
export interface DagJsonStage {
  id: string;
  /** The `uses:` value, or `cmd` for a command stage. */
  uses: string;
  /** Upstream stage ids, each with the path that links it (absent for a `needs` edge). */
  upstream: Array<{ id: string; path?: string }>;
  inputs: string[];
  outputs: string[];
}

/** The graph as data (`mlc-pipe dag --json`): the stages in run order. */
export function dagJson(g: Graph): { stages: DagJsonStage[] } {
  return {
    stages: g.order.map((id) => {
      const s = g.stages.get(id)!;
      const upstream = [...g.upstream.get(id)!.entries()].map(([u, why]) =>
        why.kind === 'path' ? { id: u, path: why.path } : { id: u },
      );
      return { id, uses: s.kind === 'cmd' ? 'cmd' : s.uses, upstream, inputs: s.inputs, outputs: s.outputs };
    }),
  };
}

function label(g: Graph, id: string): string {
  const s = g.stages.get(id)!;
  return s.kind === 'cmd' ? `${id} [cmd]` : `${id} [${s.uses}]`;
}

/**
 * An indented tree: each stage is drawn under one of its upstream stages (the one that finishes
 * last: the deepest, then the latest in topological order), depth-first, so a child line always
 * follows its parent's subtree; `← a, b (path)` lists every upstream with the path that links it.
 */
function renderAscii(g: Graph): string {
  const level = new Map<string, number>();
  const rank = new Map(g.order.map((id, i) => [id, i]));
  for (const id of g.order) {
    const ups = [...g.upstream.get(id)!.keys()];
    level.set(id, ups.length ? Math.max(...ups.map((u) => level.get(u)!)) + 1 : 0);
  }
  const children = new Map<string, string[]>(g.order.map((id) => [id, []]));
  const roots: string[] = [];
  for (const id of g.order) {
    const ups = [...g.upstream.get(id)!.keys()];
    if (!ups.length) {
      roots.push(id);
      continue;
    }
    const parent = ups.reduce((a, b) =>
      level.get(b)! > level.get(a)! || (level.get(b) === level.get(a) && rank.get(b)! > rank.get(a)!) ? b : a,
    );
    children.get(parent)!.push(id);
  }
  const lines: string[] = [];
  const visit = (id: string, depth: number) => {
    const ups = [...g.upstream.get(id)!.entries()].map(([u, why]) => (why.kind === 'path' ? `${u} (${why.path})` : u));
    lines.push(
      `${'  '.repeat(depth)}${depth > 0 ? '└─ ' : ''}${label(g, id)}${ups.length ? `  ← ${ups.join(', ')}` : ''}`,
    );
    for (const c of children.get(id)!) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return lines.join('\n');
}

function renderMermaid(g: Graph): string {
  const key = new Map(g.order.map((id, i) => [id, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const id of g.order) lines.push(`  ${key.get(id)}["${label(g, id).replace(/"/g, '#quot;')}"]`);
  for (const id of g.order)
    for (const u of g.upstream.get(id)!.keys()) lines.push(`  ${key.get(u)} --> ${key.get(id)}`);
  return lines.join('\n');
}

function renderDot(g: Graph): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['digraph mlc {', '  rankdir=TB;', '  node [shape=box];'];
  for (const id of g.order) lines.push(`  ${q(id)} [label=${q(label(g, id))}];`);
  for (const id of g.order) for (const u of g.upstream.get(id)!.keys()) lines.push(`  ${q(u)} -> ${q(id)};`);
  lines.push('}');
  return lines.join('\n');
}
