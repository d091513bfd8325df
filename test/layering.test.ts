/**
 * The layering rules (README "Layout"), checked on every relative import, static or dynamic,
 * type-only included, of every source file under src/ and stages/. A forbidden import fails with
 * the importing file and the rule it breaks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './runner/project.ts';

/** ML areas: they never import orchestration. */
const ML = ['data', 'model', 'train', 'report', 'export', 'prune', 'engine', 'predict'];
/** Orchestration: the CLI, the loader, the runner, the stage host and the stage contract. */
const ORCHESTRATION = ['cli', 'pipeline', 'runner', 'host', 'stage'];

interface Rule {
  /** Area of the importing file (`src/<area>` or `stages`). */
  from: string[];
  /** Areas it must not import. */
  to: string[];
  why: string;
}

const RULES: Rule[] = [
  { from: ML, to: [...ORCHESTRATION, 'stages'], why: 'ML code never imports orchestration or stages/ (stages/ is the only adapter)' },
  { from: ['pipeline'], to: ['stages'], why: 'src/pipeline gets the stage registry injected (LoadOptions.stages)' },
  { from: ['data'], to: ML.filter((a) => a !== 'data' && a !== 'engine'), why: 'src/data is the bottom ML layer: heads and labels live there' },
  { from: ORCHESTRATION, to: ML, why: 'orchestration never imports an ML area (stages/ import them, lazily)' },
  { from: ['host', 'stage'], to: ['runner', 'pipeline', 'cli', 'stages'], why: 'the stage host and contract stand alone, so any transport can use them' },
];

const SPEC = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.(m?ts|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** `src/<area>/…` → area, `stages/…` → stages, src/errors.ts and friends → their stem. */
export function areaOf(rel: string): string {
  const parts = rel.split(path.sep);
  if (parts[0] === 'stages') return 'stages';
  if (parts[0] === 'src') return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.m?ts$/, '');
  return parts[0]!;
}

/** Every relative import of `rel` as [specifier, target area]. */
export function importsOf(rel: string, text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    out.push([spec, areaOf(path.normalize(path.join(path.dirname(rel), spec)))]);
  }
  return out;
}

function violations(files: Array<{ rel: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { rel, text } of files) {
    const from = areaOf(rel);
    for (const [spec, to] of importsOf(rel, text)) {
      if (to === from) continue;
      for (const r of RULES) if (r.from.includes(from) && r.to.includes(to)) found.push(`${rel} imports ${spec}: ${r.why}`);
    }
  }
  return found;
}

describe('layering', () => {
  it('no source file imports across a forbidden boundary', () => {
    const files = [...sources('src'), ...sources('stages')].map((rel) => ({ rel, text: readFileSync(path.join(REPO, rel), 'utf8') }));
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('catches each kind of forbidden import, static, dynamic and type-only', () => {
    const bad = [
      { rel: 'src/data/labels.ts', text: "import type { HeadSpec } from '../model/heads.ts';" },
      { rel: 'src/pipeline/stage-module.ts', text: "import { builtinStagePath } from '../../stages/registry.ts';" },
      { rel: 'src/train/train.ts', text: "import type { TrainParams } from '../../stages/train.ts';" },
      { rel: 'src/runner/process-worker.ts', text: "const { shutdownEngine } = await import('../engine/index.ts');" },
      { rel: 'src/host/run-stage.ts', text: "export { x } from '../runner/run.ts';" },
      { rel: 'src/model/zoo.ts', text: "import { loadPipeline } from '../pipeline/load.ts';" },
    ];
    expect(violations(bad)).toEqual([
      "src/data/labels.ts imports ../model/heads.ts: src/data is the bottom ML layer: heads and labels live there",
      "src/pipeline/stage-module.ts imports ../../stages/registry.ts: src/pipeline gets the stage registry injected (LoadOptions.stages)",
      "src/train/train.ts imports ../../stages/train.ts: ML code never imports orchestration or stages/ (stages/ is the only adapter)",
      "src/runner/process-worker.ts imports ../engine/index.ts: orchestration never imports an ML area (stages/ import them, lazily)",
      "src/host/run-stage.ts imports ../runner/run.ts: the stage host and contract stand alone, so any transport can use them",
      "src/model/zoo.ts imports ../pipeline/load.ts: ML code never imports orchestration or stages/ (stages/ is the only adapter)",
    ]);
  });

});

/**
 * A built-in stage only adapts: its `run` lazily imports one ML entry point and calls it with the
 * params and the context (`return f(ctx.params, ctx)`, or keeping only the metrics). Anything more
 * is logic that belongs in the ML area. Returns the problems of one stage file.
 */
export function stageAdapterProblems(rel: string, text: string): string[] {
  const run = /async run\(ctx\) \{\n([\s\S]*?)\n  \},\n\}\);\s*$/.exec(text)?.[1];
  if (run === undefined) return [`${rel}: no \`async run(ctx) { … }\` at the end of defineStage`];
  const lines = run.split('\n').map((l) => l.trim());
  const entry = /^const \{ (\w+) \} = await import\('\.\.\/src\/(\w+)\/[\w/.-]+\.ts'\);$/.exec(lines[0] ?? '');
  if (!entry || !ML.includes(entry[2]!)) return [`${rel}: run must start by importing one entry point from an ML area, found \`${lines[0]}\``];
  const f = entry[1]!;
  const body = lines.slice(1).join('\n');
  if (body === `return ${f}(ctx.params, ctx);` || body === `const { metrics } = await ${f}(ctx.params, ctx);\nreturn { metrics };`) return [];
  return [`${rel}: run must only call ${f}(ctx.params, ctx), found ${lines.length - 1} more line(s): ${body.split('\n')[0]}`];
}

describe('built-in stages are adapters', () => {
  it('every stage in stages/ maps its params to one ML entry point and does nothing else', () => {
    const files = sources('stages').filter((rel) => !rel.endsWith('registry.ts'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files.flatMap((rel) => stageAdapterProblems(rel, readFileSync(path.join(REPO, rel), 'utf8')))).toEqual([]);
  });

  it('catches a stage with logic of its own, and one importing from outside the ML areas', () => {
    const stage = (run: string) => `export default defineStage({\n  name: 'x',\n  async run(ctx) {\n${run}\n  },\n});\n`;
    expect(stageAdapterProblems('stages/a.ts', stage("    const { evaluate } = await import('../src/report/evaluate.ts');\n    const r = await evaluate(ctx.params, ctx);\n    ctx.log('done');\n    return r;"))).toEqual([
      'stages/a.ts: run must only call evaluate(ctx.params, ctx), found 3 more line(s): const r = await evaluate(ctx.params, ctx);',
    ]);
    expect(stageAdapterProblems('stages/b.ts', stage("    const { run } = await import('../src/runner/run.ts');\n    return run(ctx.params, ctx);"))).toEqual([
      "stages/b.ts: run must start by importing one entry point from an ML area, found `const { run } = await import('../src/runner/run.ts');`",
    ]);
    expect(stageAdapterProblems('stages/c.ts', stage("    const { train } = await import('../src/train/train.ts');\n    return train(ctx.params, ctx);"))).toEqual([]);
  });
});
