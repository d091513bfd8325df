/**
 * Nothing wrong is ever recorded as done: restores from the run-cache are hash-checked, a failed
 * recording (store or lock write) leaves the previous outputs and records nothing, and gc and
 * `cache verify` see every orphan and every corrupt object. Trivial shell stages, so this runs in CI.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, concatStage, tempProject } from './project.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const object = (dir: string, content: string) =>
  path.join(dir, '.mlc/cache', sha(content).slice(0, 2), sha(content).slice(2));
const runs = (dir: string) =>
  existsSync(path.join(dir, '.mlc/cache/runs')) ? readdirSync(path.join(dir, '.mlc/cache/runs')) : [];
const lockOf = (dir: string) =>
  parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as {
    stages: Record<string, { params: unknown; outputs: Record<string, string> }>;
  };

const ECHO = 'vars: { v: a }\nstages:\n  c: { cmd: "echo ${vars.v} > out.txt", shell: true, outs: [out.txt] }\n';

describe('run-cache restores are verified', () => {
  it('a flipped byte in a cached object: cache verify reports it, the next run warns once, reruns the stage and stores good bytes again', async () => {
    const dir = tempProject({ 'p.yaml': ECHO });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    expect((await cli(['run', 'p.yaml', '-S', 'vars.v=b'], dir)).ran).toEqual(['c']);
    const obj = object(dir, 'a\n');
    expect(readFileSync(obj, 'utf8')).toBe('a\n');
    writeFileSync(obj, 'A\n'); // one byte flipped

    const verify = await cli(['cache', 'verify'], dir);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(
      `${path.relative(dir, obj)}: content hashes to ${sha('A\n').slice(0, 12)}…, not to its name`,
    );
    expect(verify.stderr).toMatch(
      /\.mlc\/cache\/runs\/[0-9a-f]{64}\.json: output out\.txt is missing or corrupt in the store/,
    );
    expect(verify.stdout).toContain('.mlc/cache: 4 files checked, 2 problems (run with --remove to delete them)');

    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.restored).toEqual([]);
    expect(r.ran).toEqual(['c']);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([
      `warning: c: run-cache object ${path.join('.mlc/cache', sha('a\n').slice(0, 2), sha('a\n').slice(2))} (out.txt) does not match its sha256; removed it; running the stage instead`,
    ]);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(obj, 'utf8')).toBe('a\n');
    expect((await cli(['cache', 'verify'], dir)).code).toBe(0);
    // …and a good object restores as before.
    expect((await cli(['run', 'p.yaml', '-S', 'vars.v=b'], dir)).restored).toEqual(['c']);
  });

  it('cache verify --remove deletes a truncated object, a broken run record and temp leftovers', async () => {
    const dir = tempProject({ 'p.yaml': ECHO });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    writeFileSync(object(dir, 'a\n'), '');
    writeFileSync(path.join(dir, '.mlc/cache/runs/0000.json'), '{"outp');
    writeFileSync(path.join(dir, '.mlc/cache', sha('a\n').slice(0, 2), 'x.123.tmp'), 'half');
    const r = await cli(['cache', 'verify', '--remove', 'p.yaml'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('.mlc/cache: 3 files checked, 4 problems');
    expect(r.stderr).toContain('.mlc/cache/runs/0000.json: run record is not JSON with "outputs" (removed)');
    expect(r.stderr).toContain('output out.txt is missing or corrupt in the store (removed)');
    expect(r.stderr).toContain('temp file left by an interrupted write (removed)');
    expect(runs(dir)).toEqual([]);
    expect(existsSync(object(dir, 'a\n'))).toBe(false);
    expect((await cli(['cache', 'verify'], dir)).stdout).toContain('0 files checked, 0 problems');
  });
});

describe('recording is transactional', () => {
  it('cmd stage, lock write fails: the previous outputs are back, nothing is recorded, no orphan object, status offers no restore', async () => {
    const dir = tempProject({
      'p.yaml':
        'vars: { v: a }\nstages:\n  c: { cmd: "echo ${vars.v} > out.txt && if [ ${vars.v} = b ]; then mv p.mlc.lock saved.lock && mkdir -p p.mlc.lock/x; fi", shell: true, outs: [out.txt] }\n',
    });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    const before = lockOf(dir);
    const r = await cli(['run', 'p.yaml', '-S', 'vars.v=b'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'stage c: cannot write the lock file p.mlc.lock: EISDIR; nothing was recorded and the previous outputs are back in place',
    );
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(path.join(dir, '.mlc/failed/c/out.txt'), 'utf8')).toBe('b\n');
    expect(existsSync(path.join(dir, '.out.txt.mlc-prev'))).toBe(false);
    expect(runs(dir)).toHaveLength(1);
    expect(existsSync(object(dir, 'b\n'))).toBe(false);
    rmSync(path.join(dir, 'p.mlc.lock'), { recursive: true });
    renameSync(path.join(dir, 'saved.lock'), path.join(dir, 'p.mlc.lock'));
    expect(lockOf(dir)).toEqual(before);
    expect((await cli(['status', 'p.yaml'], dir)).stdout).toMatch(/^skip +c +up to date$/m);
    expect((await cli(['status', 'p.yaml', '-S', 'vars.v=b'], dir)).stdout).toMatch(/^run +c +/m); // not restore
    expect((await cli(['run', 'p.yaml'], dir)).skipped).toEqual(['c']);
  });

  it('module stage, lock write fails: its new outputs never replace the previous ones', async () => {
    const stage = concatStage({
      name: 'breaks-lock',
      extraImport: "import { mkdirSync, renameSync } from 'node:fs';",
      transform:
        "if (ctx.params.text === 'b') { renameSync(ctx.path('p.mlc.lock'), ctx.path('saved.lock')); mkdirSync(ctx.path('p.mlc.lock/x'), { recursive: true }); }",
    });
    const dir = tempProject({
      's.ts': stage,
      'p.yaml': 'vars: { t: a }\nstages:\n  m: { uses: ./s.ts, with: { text: "${vars.t}", out: o/r.txt } }\n',
    });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['m']);
    const r = await cli(['run', 'p.yaml', '-S', 'vars.t=b'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot write the lock file p.mlc.lock');
    expect(readFileSync(path.join(dir, 'o/r.txt'), 'utf8')).toBe('a');
    expect(readFileSync(path.join(dir, '.mlc/failed/m/o/r.txt'), 'utf8')).toBe('b');
    expect(readdirSync(path.join(dir, 'o')).filter((f) => f.includes('mlc-'))).toEqual([]);
    expect(runs(dir)).toHaveLength(1);
    expect(existsSync(object(dir, 'b'))).toBe(false);
  });

  it('cmd stage, storing in the run-cache fails: the previous outputs are back and the lock is unchanged', async () => {
    const dir = tempProject({
      'p.yaml':
        'vars: { v: a }\nstages:\n  c: { cmd: "echo ${vars.v} > out.txt && if [ ${vars.v} = b ]; then rm -rf .mlc/cache && touch .mlc/cache; fi", shell: true, outs: [out.txt] }\n',
    });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    const before = lockOf(dir);
    const r = await cli(['run', 'p.yaml', '-S', 'vars.v=b'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ c: .*(ENOTDIR|EEXIST)/);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('a\n');
    expect(lockOf(dir)).toEqual(before);
  });
});

describe('gc without a lock file', () => {
  it('removes orphan objects and temp leftovers, keeps every run record and what it refers to', async () => {
    const dir = tempProject({ 'p.yaml': ECHO });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    rmSync(path.join(dir, 'p.mlc.lock'));
    const orphan = object(dir, 'orphan');
    mkdirSync(path.dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'orphan');
    writeFileSync(`${object(dir, 'a\n')}.999.tmp`, 'a');
    const r = await cli(['gc'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      '.mlc/cache: no lock file refers to this run-cache; kept its 1 run, removed 2 orphan objects, freed 7 bytes (7 bytes)',
    );
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(object(dir, 'a\n'))).toBe(true);
    expect(runs(dir)).toHaveLength(1);
  });
});
