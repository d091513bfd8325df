/**
 * The command line: help, exit codes, validate/dag/stages/init output.
 * Most cases call main() in-process with captured output; a few run the real binary.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './run-main.ts';
import { cli, concatStage, REPO, tempProject } from '../runner/project.ts';

const run = runMain;

const GOOD =
  'stages:\n  gen:\n    uses: ./s.ts\n    with: { out: a.txt }\n  use:\n    cmd: [cp, a.txt, b.txt]\n    deps: [a.txt]\n    outs: [b.txt]\n';

describe('mlc-pipe CLI', () => {
  it('--help on every command exits 0 and documents the options', async () => {
    for (const cmd of [
      ['run'],
      ['status'],
      ['dag'],
      ['validate'],
      ['stages'],
      ['init'],
      ['gc'],
      ['data', 'make'],
      ['evaluate'],
      ['predict'],
      ['metrics', 'diff'],
      ['metrics', 'show'],
      ['exp', 'show'],
      ['params', 'diff'],
      ['plots', 'show'],
      ['plots', 'diff'],
    ]) {
      const r = await run(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.out, cmd.join(' ')).toContain(`Usage: mlc-pipe ${cmd.join(' ')}`);
      expect(r.out, cmd.join(' ')).not.toMatch(/\(default: [^)]*\).*\(default: /); // commander adds the default itself
    }
    const r = await run('run', '--help');
    for (const opt of [
      '--stage <id>',
      '--downstream',
      '--force',
      '--dry-run',
      '--jobs <n>',
      '--set <key=value>',
      '--keep-going',
      '--gpus <n>',
    ])
      expect(r.out).toContain(opt);
  });

  it('usage errors exit 2', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('run')).code).toBe(2);
    const bad = await run('run', 'x.yaml', '--jobs', 'zero');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--jobs expects a positive integer, received "zero"');
    const fmt = await run('dag', 'x.yaml', '--format', 'png');
    expect(fmt.code).toBe(2);
    expect(fmt.err).toContain('Allowed choices are ascii, mermaid, dot');
  });

  it('validate: 0 with a summary, 2 with every diagnostic', async () => {
    const dir = tempProject({
      'p.yaml': GOOD,
      's.ts': concatStage({ name: 's' }),
      'bad.yaml': 'stages:\n  a:\n    uses: ./s.ts\n    with: { out: a.txt, txet: 1 }\n',
    });
    const ok = await run('validate', path.join(dir, 'p.yaml'));
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`${path.join(dir, 'p.yaml')}: ok (2 stages)\n`);
    const bad = await run('validate', path.join(dir, 'bad.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      `${path.join(dir, 'bad.yaml')}:4:25 stages.a.with.txet: unknown param "txet" for stage "s"`,
    );
    expect(bad.err).toContain('hint: did you mean "text"?');
    const missing = await run('validate', path.join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read pipeline file');
  });

  it('dag prints ascii, mermaid and dot', async () => {
    const dir = tempProject({ 'p.yaml': GOOD, 's.ts': concatStage({ name: 's' }) });
    const file = path.join(dir, 'p.yaml');
    expect((await run('dag', file)).out).toBe('gen [./s.ts]\n  └─ use [cmd]  ← gen (a.txt)\n');
    expect((await run('dag', file, '--format', 'mermaid')).out).toContain('s0 --> s1');
    expect((await run('dag', file, '--format', 'dot')).out).toContain('"gen" -> "use";');
  });

  it('stages lists built-ins with params, defaults and descriptions; unknown names get a suggestion', async () => {
    const r = await run('stages', 'make-dataset');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^make-dataset {2}\S/);
    expect(r.out).toMatch(/ {2}n +integer = 2400\n/);
    expect(r.out).toContain('Number of images over all splits. Defaults to 2400.');
    const md = await run('stages', 'make-dataset', '--markdown');
    expect(md.out).toContain('| `n` | integer | `2400` | Number of images over all splits. Defaults to 2400. |');
    const bad = await run('stages', 'trian');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('hint: did you mean "train"?');
  });

  it('init scaffolds a pipeline that validates, and refuses to overwrite without --force', async () => {
    const dir = tempProject({});
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(REPO, path.join(dir, 'node_modules', 'mlc-pipe')); // as if installed
    const target = path.join(dir, 'proj');
    const r = await run('init', target);
    expect(r.code).toBe(0);
    for (const f of ['pipeline.yaml', 'stages/hello.ts', '.gitignore', 'package.json'])
      expect(existsSync(path.join(target, f)), f).toBe(true);
    expect(readFileSync(path.join(target, 'pipeline.yaml'), 'utf8')).toContain('uses: ./stages/hello.ts');
    const again = await run('init', target);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exist');
    const v = await cli(['validate', 'pipeline.yaml'], target);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('ok (3 stages)');
  });

  it('run: exit 2 on an invalid pipeline, nothing runs', async () => {
    const dir = tempProject({
      'p.yaml': 'stages:\n  a:\n    uses: ./s.ts\n    with: { out: a.txt }\n    needs: [b]\n',
      's.ts': concatStage({ name: 's' }),
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('p.yaml:5:13 stages.a.needs.0: unknown stage "b" in needs');
    expect(existsSync(path.join(dir, 'a.txt'))).toBe(false);
    const st = await cli(
      ['run', 'p.yaml', '--stage', 'nope'],
      tempProject({ 'p.yaml': GOOD, 's.ts': concatStage({ name: 's' }) }),
    );
    expect(st.code).toBe(2);
    expect(st.stderr).toContain('--stage nope: no such stage');
  });
});
