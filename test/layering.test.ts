/**
 * The layering rules (README "Layout", docs/design.md), checked on every relative import, static or
 * dynamic, type-only included, of every source file under src/ and stages/, and on the two ways
 * round them: a string that names a file of the other side (`'src/report/evaluate.ts'`, handed to
 * some loader) and an `import()` of a computed specifier. A forbidden import fails with the
 * importing file and the rule it breaks.
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
  {
    from: ML,
    to: [...ORCHESTRATION, 'stages'],
    why: 'ML code never imports orchestration or stages/ (stages/ is the only adapter)',
  },
  { from: ['pipeline'], to: ['stages'], why: 'src/pipeline gets the stage registry injected (LoadOptions.stages)' },
  {
    from: ['data'],
    to: ML.filter((a) => a !== 'data' && a !== 'engine'),
    why: 'src/data is the bottom ML layer: heads and labels live there',
  },
  { from: ORCHESTRATION, to: ML, why: 'orchestration never imports an ML area (stages/ import them, lazily)' },
  {
    from: ['host', 'stage'],
    to: ['runner', 'pipeline', 'cli', 'stages'],
    why: 'the stage host and contract stand alone, so any transport can use them',
  },
];

const SPEC =
  /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

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

/** `text` without its comments (a path named in a comment is documentation, not a load). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** String literals (not import specifiers) that name a source file path: `src/<area>/…` or a relative `../…`. */
const PATH_STRING = /(?<!(?:from|import)\s*\(?\s*)(['"`])((?:\.{1,2}\/)+[\w@./-]+|src\/[\w./-]+)\1/g;

/** Every string path of `rel` as [string, target area], resolved like an import. */
export function pathStringsOf(rel: string, text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of code(text).matchAll(PATH_STRING)) {
    const s = m[2]!;
    const target = s.startsWith('src/') ? s : path.normalize(path.join(path.dirname(rel), s));
    out.push([s, areaOf(target.split('/').join(path.sep))]);
  }
  for (const m of code(text).matchAll(/fromPackageRoot\(\s*'src'\s*,\s*'(\w+)'/g)) out.push([`src/${m[1]}`, m[1]!]);
  return out;
}

/**
 * Orchestration files that may `import()` a computed specifier, and why: they load stage modules
 * (stages/ is the adapter; a user stage is any file), never an ML area.
 */
const COMPUTED_IMPORTS: Record<string, string> = {
  [path.join('src', 'pipeline', 'stage-module.ts')]: 'imports a stage module to read its definition',
  [path.join('src', 'host', 'module-stage.ts')]: 'imports the stage module a job names',
};

/** True when `rel` has an `import(` whose argument is not a string literal. */
export function hasComputedImport(text: string): boolean {
  return /\bimport\(\s*(?!['"]|\s*\))/.test(code(text));
}

function violations(files: Array<{ rel: string; text: string }>): string[] {
  const found: string[] = [];
  const crossing = (from: string, to: string) =>
    RULES.filter((r) => r.from.includes(from) && r.to.includes(to) && to !== from);
  for (const { rel, text } of files) {
    const from = areaOf(rel);
    for (const [spec, to] of importsOf(rel, text))
      for (const r of crossing(from, to)) found.push(`${rel} imports ${spec}: ${r.why}`);
    for (const [str, to] of pathStringsOf(rel, text)) {
      for (const r of crossing(from, to))
        found.push(`${rel} names '${str}' in a string (a load no import shows): ${r.why}`);
    }
    if (ORCHESTRATION.includes(from) && !COMPUTED_IMPORTS[rel] && hasComputedImport(text)) {
      found.push(
        `${rel} imports a computed specifier: orchestration reaches ML code only through a literal import (stages/entry-points.ts for the CLI)`,
      );
    }
  }
  return found;
}

describe('layering', () => {
  it('no source file imports across a forbidden boundary', () => {
    const files = [...sources('src'), ...sources('stages')].map((rel) => ({
      rel,
      text: readFileSync(path.join(REPO, rel), 'utf8'),
    }));
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
      {
        rel: 'src/cli/commands/evaluate.ts',
        text: "const m = await lazyImport<EvaluateModule>('src/report/evaluate.ts', 'evaluate');",
      },
      {
        rel: 'src/cli/commands/data.ts',
        text: "const abs = fromPackageRoot('src', 'data', 'demo', 'make-dataset.ts');",
      },
      { rel: 'src/cli/metrics-show.ts', text: "const url = new URL('../report/diff.ts', import.meta.url);" },
      { rel: 'src/cli/lazy-import.ts', text: 'return (await import(pathToFileURL(abs).href)) as T;' },
      { rel: 'src/report/plots.ts', text: "const sources = 'src/cli/plots-sources.ts';" },
    ];
    expect(violations(bad)).toEqual([
      'src/data/labels.ts imports ../model/heads.ts: src/data is the bottom ML layer: heads and labels live there',
      'src/pipeline/stage-module.ts imports ../../stages/registry.ts: src/pipeline gets the stage registry injected (LoadOptions.stages)',
      'src/train/train.ts imports ../../stages/train.ts: ML code never imports orchestration or stages/ (stages/ is the only adapter)',
      'src/runner/process-worker.ts imports ../engine/index.ts: orchestration never imports an ML area (stages/ import them, lazily)',
      'src/host/run-stage.ts imports ../runner/run.ts: the stage host and contract stand alone, so any transport can use them',
      'src/model/zoo.ts imports ../pipeline/load.ts: ML code never imports orchestration or stages/ (stages/ is the only adapter)',
      "src/cli/commands/evaluate.ts names 'src/report/evaluate.ts' in a string (a load no import shows): orchestration never imports an ML area (stages/ import them, lazily)",
      "src/cli/commands/data.ts names 'src/data' in a string (a load no import shows): orchestration never imports an ML area (stages/ import them, lazily)",
      "src/cli/metrics-show.ts names '../report/diff.ts' in a string (a load no import shows): orchestration never imports an ML area (stages/ import them, lazily)",
      'src/cli/lazy-import.ts imports a computed specifier: orchestration reaches ML code only through a literal import (stages/entry-points.ts for the CLI)',
      "src/report/plots.ts names 'src/cli/plots-sources.ts' in a string (a load no import shows): ML code never imports orchestration or stages/ (stages/ is the only adapter)",
    ]);
  });

  it('leaves comments, same-side strings, stage-module loaders and literal imports through stages/ alone', () => {
    const fine = [
      {
        rel: 'src/cli/commands/evaluate.ts',
        text: "/** the evaluate stage's entry point (src/report/evaluate.ts) */\nconst { evaluate } = await entryPoint('evaluate'); // src/report/evaluate.ts",
      },
      {
        rel: 'src/cli/commands/plots.ts',
        text: "import type { PlotSource } from '../../../stages/entry-points.ts';\nconst x = import('../plots-sources.ts');",
      },
      { rel: 'src/host/module-stage.ts', text: 'const mod = await import(pathToFileURL(job.module.path).href);' },
      { rel: 'src/report/evaluate.ts', text: "const f = 'src/report/report.html';" },
      { rel: 'stages/entry-points.ts', text: "const m = () => import('../src/report/evaluate.ts');" },
    ];
    expect(violations(fine)).toEqual([]);
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
  if (!entry || !ML.includes(entry[2]!))
    return [`${rel}: run must start by importing one entry point from an ML area, found \`${lines[0]}\``];
  const f = entry[1]!;
  const body = lines.slice(1).join('\n');
  if (
    body === `return ${f}(ctx.params, ctx);` ||
    body === `const { metrics } = await ${f}(ctx.params, ctx);\nreturn { metrics };`
  )
    return [];
  return [
    `${rel}: run must only call ${f}(ctx.params, ctx), found ${lines.length - 1} more line(s): ${body.split('\n')[0]}`,
  ];
}

describe('built-in stages are adapters', () => {
  it('every stage in stages/ maps its params to one ML entry point and does nothing else', () => {
    const files = sources('stages').filter((rel) => !rel.endsWith('registry.ts') && !rel.endsWith('entry-points.ts'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files.flatMap((rel) => stageAdapterProblems(rel, readFileSync(path.join(REPO, rel), 'utf8')))).toEqual([]);
  });

  it('catches a stage with logic of its own, and one importing from outside the ML areas', () => {
    const stage = (run: string) =>
      `export default defineStage({\n  name: 'x',\n  async run(ctx) {\n${run}\n  },\n});\n`;
    expect(
      stageAdapterProblems(
        'stages/a.ts',
        stage(
          "    const { evaluate } = await import('../src/report/evaluate.ts');\n    const r = await evaluate(ctx.params, ctx);\n    ctx.log('done');\n    return r;",
        ),
      ),
    ).toEqual([
      'stages/a.ts: run must only call evaluate(ctx.params, ctx), found 3 more line(s): const r = await evaluate(ctx.params, ctx);',
    ]);
    expect(
      stageAdapterProblems(
        'stages/b.ts',
        stage("    const { run } = await import('../src/runner/run.ts');\n    return run(ctx.params, ctx);"),
      ),
    ).toEqual([
      "stages/b.ts: run must start by importing one entry point from an ML area, found `const { run } = await import('../src/runner/run.ts');`",
    ]);
    expect(
      stageAdapterProblems(
        'stages/c.ts',
        stage("    const { train } = await import('../src/train/train.ts');\n    return train(ctx.params, ctx);"),
      ),
    ).toEqual([]);
  });
});
