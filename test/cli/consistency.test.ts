/**
 * One CLI: `--json` on every command that prints a table or a plan, one flag vocabulary, exit codes
 * 0/1/2, DAG errors at file:line, `code changed` naming the file, suggestions that name real
 * columns (issue #26's CLI findings).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './run-main.ts';
import { cli, concatStage, tempProject } from '../runner/project.ts';
import { didYouMeanColumn } from '../../src/suggest.ts';

const run = runMain;

/** A project: gen (module stage importing lib/fmt.ts) → use (cmd) with a matrix of two `upper` instances. */
function project(): { dir: string; file: string } {
  const dir = tempProject({
    'lib/fmt.ts': 'export const fmt = (s: string) => s;\n',
    's.ts': concatStage({ name: 's', extraImport: "import { fmt } from './lib/fmt.ts';", transform: 's = fmt(s);' }),
    'p.yaml': [
      'stages:',
      '  gen:',
      '    uses: ./s.ts',
      '    with: { text: hello, out: a.txt }',
      '  upper:',
      '    matrix: { n: [1, 2] }',
      '    uses: ./s.ts',
      '    with: { inputs: [a.txt], text: "n${item.n}", epochs: "${item.n}", out: "u${item.n}.txt" }',
      '',
    ].join('\n'),
  });
  return { dir, file: path.join(dir, 'p.yaml') };
}

describe('CLI consistency', () => {
  it('no command: the help on stderr and exit 2', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('Usage: mlc-pipe [options] [command]');
    expect((await run('--help')).code).toBe(0); // asked for: 0
  });

  it('--json on status, dag, validate, exp show, params diff and metrics diff', async () => {
    const { dir, file } = project();
    const st = JSON.parse((await run('status', file, '--json')).out);
    expect(st.map((s: { id: string; action: string }) => [s.id, s.action])).toEqual([
      ['gen', 'run'],
      ['upper@1', 'run'],
      ['upper@2', 'run'],
    ]);
    expect(st[0].reasons).toEqual(['never run']);

    const dag = JSON.parse((await run('dag', file, '--json')).out);
    expect(dag.stages.map((s: { id: string }) => s.id)).toEqual(['gen', 'upper@1', 'upper@2']);
    expect(dag.stages[1]).toEqual({
      id: 'upper@1',
      uses: './s.ts',
      upstream: [{ id: 'gen', path: 'a.txt' }],
      inputs: ['a.txt'],
      outputs: ['u1.txt'],
    });

    expect(JSON.parse((await run('validate', file, '--json')).out)).toEqual({ file, ok: true, stages: 3 });
    // in a folder of its own: a second pipeline beside p.yaml writing a.txt would be refused as a second owner
    mkdirSync(path.join(dir, 'other'));
    writeFileSync(
      path.join(dir, 'other', 'bad.yaml'),
      'stages:\n  a:\n    uses: ../s.ts\n    with: { out: a.txt, txet: 1 }\n',
    );
    const bad = await run('validate', path.join(dir, 'other', 'bad.yaml'), '--json');
    expect(bad.code).toBe(2);
    const problems = JSON.parse(bad.out);
    expect(problems.ok).toBe(false);
    expect(problems.problems[0]).toMatchObject({
      line: 4,
      col: 25,
      path: 'stages.a.with.txet',
      message: 'unknown param "txet" for stage "s"',
      hint: 'did you mean "text"?',
    });

    const ran = await cli(['run', 'p.yaml'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    const exp = JSON.parse((await run('exp', 'show', file, '--json')).out);
    expect(exp.map((r: { stage: string }) => r.stage).sort()).toEqual(['gen', 'upper@1', 'upper@2']);
    const pd = JSON.parse((await run('params', 'diff', file, 'upper@1', 'upper@2', '--json')).out);
    expect(pd).toContainEqual({ Param: 'epochs', 'upper@1': 1, 'upper@2': 2 });

    mkdirSync(path.join(dir, 'r1'));
    mkdirSync(path.join(dir, 'r2'));
    writeFileSync(
      path.join(dir, 'r1/metrics.json'),
      JSON.stringify({ summary: { acc: 0.5, n: 4 }, heads: { h: { classes: { a: 0.1 } } } }),
    );
    writeFileSync(
      path.join(dir, 'r2/metrics.json'),
      JSON.stringify({ summary: { acc: 0.75, n: 4 }, heads: { h: { classes: { a: 0.2 } } } }),
    );
    const md = await run('metrics', 'diff', path.join(dir, 'r1'), path.join(dir, 'r2'), '--json');
    expect(md.code, md.err).toBe(0);
    // default: the summary metrics that changed (not n, not the per-class detail)
    expect(
      JSON.parse(md.out).map((e: { metric: string; a: number; b: number; change: number }) => [
        e.metric,
        e.a,
        e.b,
        e.change,
      ]),
    ).toEqual([['summary.acc', 0.5, 0.75, 0.25]]);
    const all = JSON.parse(
      (await run('metrics', 'diff', path.join(dir, 'r1'), path.join(dir, 'r2'), '--json', '--all')).out,
    );
    expect(all.map((e: { metric: string }) => e.metric)).toEqual(['summary.acc', 'summary.n', 'heads.h.classes.a']);
  });

  it('one flag vocabulary: -a/--all on exp show, params diff and metrics diff (-A still accepted)', async () => {
    for (const cmd of [
      ['exp', 'show'],
      ['params', 'diff'],
      ['metrics', 'diff'],
    ]) {
      const help = (await run(...cmd, '--help')).out;
      expect(help, cmd.join(' ')).toMatch(/-a, --all/);
      expect(help, cmd.join(' ')).toMatch(/--json/);
    }
    for (const cmd of [['status'], ['dag'], ['validate']])
      expect((await run(...cmd, '--help')).out, cmd.join(' ')).toMatch(/--json/);
    const { dir, file } = project();
    await cli(['run', 'p.yaml'], dir);
    expect((await run('exp', 'show', file, '-A')).code).toBe(0);
    expect((await run('exp', 'show', file, '-a')).code).toBe(0);
  });

  it('bad arguments exit 2: metrics diff of a missing run, exp show --sort-by an unknown column (suggesting real ones)', async () => {
    const { dir, file } = project();
    const md = await run('metrics', 'diff', path.join(dir, 'nope'), path.join(dir, 'nope2'));
    expect(md.code).toBe(2);
    expect(md.err).toContain(`${path.join(dir, 'nope')}: no such run folder or metrics file`);
    await cli(['run', 'p.yaml'], dir);
    const sort = await run('exp', 'show', file, '--sort-by', 'epoch');
    expect(sort.code).toBe(2);
    expect(sort.err).toContain('hint: did you mean "epochs"?');
    // words first: val_acc names the columns holding "val" and "acc", not the nearer-by-letters "val"
    expect(didYouMeanColumn('val_acc', ['val', 'train', 'val_all_heads_acc', 'val_digit0_acc', 'acc/digit0'])).toBe(
      'did you mean "val_digit0_acc" or "val_all_heads_acc"?',
    );
    expect(didYouMeanColumn('epoch', ['epochs', 'lr'])).toBe('did you mean "epochs"?');
  });

  it('DAG errors at file:line: duplicate outputs and cycles', async () => {
    const dir = tempProject({
      's.ts': concatStage({ name: 's' }),
      'dup.yaml':
        'stages:\n  a:\n    uses: ./s.ts\n    with: { out: x.txt }\n  b:\n    uses: ./s.ts\n    with: { out: x.txt }\n',
      'cycle.yaml':
        'stages:\n  a:\n    uses: ./s.ts\n    with: { inputs: [b.txt], out: a.txt }\n  b:\n    uses: ./s.ts\n    with: { inputs: [a.txt], out: b.txt }\n',
    });
    const dup = await run('validate', path.join(dir, 'dup.yaml'));
    expect(dup.code).toBe(2);
    expect(dup.err).toContain(
      `${path.join(dir, 'dup.yaml')}:5:3 stages.b: stages "a" and "b" both write "x.txt" (a is at ${path.join(dir, 'dup.yaml')}:2)`,
    );
    const cyc = await run('dag', path.join(dir, 'cycle.yaml'));
    expect(cyc.code).toBe(2);
    expect(cyc.err).toContain(
      `${path.join(dir, 'cycle.yaml')}:2:3 stages.a: dependency cycle: a (a.txt) → b (b.txt) → a`,
    );
    expect(cyc.err).toContain(`  ${path.join(dir, 'cycle.yaml')}:5:3 stages.b`);
    const st = await cli(['status', 'cycle.yaml'], dir);
    expect(st.code).toBe(2);
    expect(st.stderr).toContain('cycle.yaml:2:3 stages.a: dependency cycle');
  });

  it('status names the file behind "code changed"', async () => {
    const { dir } = project();
    expect((await cli(['run', 'p.yaml'], dir)).code).toBe(0);
    writeFileSync(path.join(dir, 'lib/fmt.ts'), 'export const fmt = (s: string) => s + "!";\n');
    const st = await cli(['status', 'p.yaml'], dir);
    expect(st.stdout).toMatch(/^run\s+gen\s+code changed: lib\/fmt\.ts$/m);
    expect((await cli(['run', 'p.yaml'], dir)).code).toBe(0);
    writeFileSync(path.join(dir, 'lib/extra.ts'), 'export const bang = "!";\n');
    writeFileSync(
      path.join(dir, 'lib/fmt.ts'),
      'import { bang } from "./extra.ts";\nexport const fmt = (s: string) => s + bang;\n',
    );
    const st2 = await cli(['status', 'p.yaml'], dir);
    expect(st2.stdout).toMatch(/^run\s+gen\s+code changed: lib\/extra\.ts \(new\), lib\/fmt\.ts$/m);
  });
});
