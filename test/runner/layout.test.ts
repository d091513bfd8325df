/**
 * The shape of src/runner: no import cycle, and the runner's core (everything outside
 * executors/) never imports a particular executor nor names one, so a new executor is a plugin
 * (executors/<name>/ plus a registry line) and never a branch in the runner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './project.ts';

const RUNNER = path.join(REPO, 'src', 'runner');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative imports (static, dynamic, type-only, re-exports) of `file` that stay in src/runner. */
function runnerImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const abs = path.resolve(path.dirname(file), m[1]!);
    if (abs.startsWith(RUNNER + path.sep)) out.push(abs);
  }
  return out;
}

/** Every import cycle of the graph, each as `a.ts -> b.ts -> a.ts` (relative to src/runner). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open')
        cycles.push([...stack.slice(stack.indexOf(d)), d].map((f) => path.relative(RUNNER, f)).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

describe('src/runner layout', () => {
  const files = tsFiles(RUNNER);
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const graph = new Map(files.map((f) => [f, runnerImports(f, texts.get(f)!)]));

  it('finds a cycle when there is one (the check itself)', () => {
    const a = path.join(RUNNER, 'store', 'a.ts');
    const b = path.join(RUNNER, 'store', 'b.ts');
    expect(
      importCycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['store/a.ts -> store/b.ts -> store/a.ts']);
    expect(
      importCycles(
        new Map([
          [a, [b]],
          [b, []],
        ]),
      ),
    ).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(graph.size).toBeGreaterThan(30);
    expect(importCycles(graph)).toEqual([]);
  });

  it('outside executors/, imports no particular executor and names none', () => {
    const specific = (f: string) =>
      /^executors\/(?!(executor|registry|settings|job)\.ts$)/.test(path.relative(RUNNER, f));
    const problems: string[] = [];
    for (const f of files) {
      const rel = path.relative(RUNNER, f);
      if (rel.startsWith('executors/')) continue;
      for (const d of graph.get(f)!) if (specific(d)) problems.push(`${rel} imports ${path.relative(RUNNER, d)}`);
      // Code, not comments: a branch on an executor's name.
      const code = texts.get(f)!.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const name of ['local', 'bullmq', 'queue'])
        if (new RegExp(`['"\`]${name}['"\`]`).test(code)) problems.push(`${rel} names the executor '${name}'`);
    }
    expect(problems).toEqual([]);
  });
});
