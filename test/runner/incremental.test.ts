/**
 * End to end through the CLI: what reruns after which change.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, concatStage, tempProject } from './project.ts';

/** Plan text with runs of spaces collapsed (column widths depend on the ids). */
const flat = (s: string) => s.replace(/ +/g, ' ');

const PIPELINE = `
vars:
  greeting: hello
stages:
  gen:
    uses: ./stages/concat.ts
    with: { inputs: [seed.txt], text: "\${greeting}", out: data/gen.txt }
  upper:
    uses: ./stages/upper.ts
    with: { inputs: [data/gen.txt], out: data/upper.txt }
  count:
    cmd: [node, -e, "const fs=require('fs');fs.writeFileSync('data/count.txt', String(fs.readFileSync('data/upper.txt','utf8').length))"]
    deps: [data/upper.txt]
    outs: [data/count.txt]
  side:
    uses: ./stages/concat.ts
    with: { inputs: [side.txt], out: data/side.txt }
`;

describe('incremental runs', () => {
  let dir: string;
  const run = (...args: string[]) => cli(['run', 'p.yaml', ...args], dir);
  const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');

  beforeAll(() => {
    dir = tempProject({
      'p.yaml': PIPELINE,
      'seed.txt': 'seed-',
      'side.txt': 'side-',
      'stages/concat.ts': concatStage({ name: 'concat' }),
      'stages/upper.ts': concatStage({
        name: 'upper',
        extraImport: "import { up } from '../lib/case.ts';",
        transform: 's = up(s);',
      }),
      'lib/case.ts': 'export const up = (s: string) => s.toUpperCase();\n',
    });
  });

  it('first run runs every stage in DAG order, a second run skips everything', async () => {
    const r1 = await run();
    expect(r1.code, r1.stderr).toBe(0);
    expect([...r1.ran].sort()).toEqual(['count', 'gen', 'side', 'upper']);
    expect(r1.ran.indexOf('gen')).toBeLessThan(r1.ran.indexOf('upper'));
    expect(r1.ran.indexOf('upper')).toBeLessThan(r1.ran.indexOf('count'));
    expect(read('data/upper.txt')).toBe('SEED-HELLO');
    expect(read('data/count.txt')).toBe('10');
    const lock = parse(read('p.mlc.lock')) as {
      stages: Record<string, { params: Record<string, unknown>; outputs: Record<string, string> }>;
    };
    expect(Object.keys(lock.stages).sort()).toEqual(['count', 'gen', 'side', 'upper']);
    expect(lock.stages.gen!.params).toEqual({ text: 'hello', inputs: ['seed.txt'], out: 'data/gen.txt', epochs: 1 });
    expect(existsSync(path.join(dir, 'logs/p/upper.log'))).toBe(true);

    const r2 = await run();
    expect(r2.code).toBe(0);
    expect(r2.ran).toEqual([]);
    expect([...r2.skipped].sort()).toEqual(['count', 'gen', 'side', 'upper']);
  });

  it('a changed param reruns that stage and its downstream; flipping it back restores from the run-cache', async () => {
    const st = await cli(['status', 'p.yaml', '-S', 'vars.greeting=bye'], dir);
    expect(flat(st.stdout)).toContain('run gen param changed: text "hello"→"bye"');
    expect(flat(st.stdout)).toContain('run upper upstream changed: gen');
    expect(flat(st.stdout)).toContain('skip side up to date');

    const r = await run('-S', 'vars.greeting=bye');
    expect(r.code, r.stderr).toBe(0);
    expect(r.ran.sort()).toEqual(['count', 'gen', 'upper']);
    expect(read('data/upper.txt')).toBe('SEED-BYE');

    const back = await run();
    expect(back.code).toBe(0);
    expect(back.ran).toEqual([]);
    expect(back.restored.sort()).toEqual(['count', 'gen', 'upper']);
    expect(read('data/upper.txt')).toBe('SEED-HELLO');
    expect(read('data/count.txt')).toBe('10');
  });

  it('one changed input byte reruns exactly the stage that reads it', async () => {
    writeFileSync(path.join(dir, 'side.txt'), 'sidf-');
    const r = await run();
    expect(r.ran).toEqual(['side']);
    expect(read('data/side.txt')).toBe('sidf-');
  });

  it("editing a file a stage's module imports reruns that stage and its downstream only", async () => {
    writeFileSync(path.join(dir, 'lib/case.ts'), 'export const up = (s: string) => s.toUpperCase() + "!";\n');
    const st = await cli(['status', 'p.yaml'], dir);
    expect(flat(st.stdout)).toContain('run upper code changed');
    const r = await run();
    expect(r.ran).toEqual(['upper', 'count']);
    expect(read('data/upper.txt')).toBe('SEED-HELLO!');
  });

  it('a deleted output is restored from the run-cache without running the stage', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'data/side.txt'));
    const st = await cli(['status', 'p.yaml'], dir);
    expect(flat(st.stdout)).toContain('restore side restored from run-cache; output missing: data/side.txt');
    const r = await run();
    expect(r.ran).toEqual([]);
    expect(r.restored).toEqual(['side']);
    expect(read('data/side.txt')).toBe('sidf-');
  });

  it('--dry-run prints the plan and runs nothing', async () => {
    writeFileSync(path.join(dir, 'seed.txt'), 'SEED+');
    const before = read('p.mlc.lock');
    const r = await run('--dry-run');
    expect(r.code).toBe(0);
    expect(flat(r.stdout)).toContain('run gen input changed: seed.txt');
    expect(flat(r.stdout)).toContain('run count upstream changed: upper');
    expect(r.stdout).toContain('3 to run, 0 to restore from the run-cache, 1 up to date');
    expect(read('p.mlc.lock')).toBe(before);
    expect(read('data/gen.txt')).toBe('seed-hello');
  });

  it('--stage runs the target with its out-of-date upstream; --downstream adds what follows', async () => {
    const r = await run('--stage', 'upper');
    expect(r.ran).toEqual(['gen', 'upper']);
    expect(r.stdout).not.toContain('count');
    const r2 = await run('--stage', 'upper', '--downstream');
    expect(r2.ran).toEqual(['count']);
  });

  it('--force reruns selected stages even when up to date', async () => {
    const r = await run('--stage', 'side', '--force');
    expect(r.ran).toEqual(['side']);
    const all = await run('--force', '--jobs', '1');
    expect(all.ran.sort()).toEqual(['count', 'gen', 'side', 'upper']);
  });

  it('a cmd stage whose command changes reruns', async () => {
    writeFileSync(
      path.join(dir, 'p.yaml'),
      read('p.yaml').replace(
        "String(fs.readFileSync('data/upper.txt','utf8').length)",
        "'n='+fs.readFileSync('data/upper.txt','utf8').length",
      ),
    );
    const r = await run();
    expect(r.ran).toEqual(['count']);
    expect(read('data/count.txt')).toBe('n=11');
  });
});
