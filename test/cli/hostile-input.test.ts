/**
 * Hostile input gives one clear MlcPipeError (what, where, fix), exit 1 or 2, no stack trace
 * unless --verbose, and never leaves the run lock behind.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, STAGE_API, tempProject } from '../runner/project.ts';

const STACK = /^\s+at /m;

describe('hostile input', () => {
  it('a symlink loop in an input folder: DataError naming the link, from status and run', async () => {
    const dir = tempProject({
      'data/a.txt': 'a',
      'p.yaml': 'stages:\n  c: { cmd: "cat data/a.txt > out.txt", shell: true, deps: [data], outs: [out.txt] }\n',
    });
    mkdirSync(path.join(dir, 'data/sub'));
    symlinkSync('..', path.join(dir, 'data/sub/up'));
    for (const cmd of ['status', 'run']) {
      const r = await cli([cmd, 'p.yaml'], dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(
        `DataError: ${path.join(dir, 'data/sub/up')}: symlink loop: ${path.join(dir, 'data/sub/up')} leads back to ${path.join(dir, 'data')}`,
      );
      expect(r.stderr).toContain('hint: remove or fix the symbolic link');
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(readdirSync(path.join(dir, '.mlc')).filter((f) => f.endsWith('.run.pid'))).toEqual([]);
  });

  it('a link to itself (ELOOP from the kernel) is a DataError too; --verbose adds the stack', async () => {
    const dir = tempProject({
      'data/a.txt': 'a',
      'p.yaml': 'stages:\n  c: { cmd: "true", deps: [data], outs: [out.txt] }\n',
    });
    symlinkSync('self', path.join(dir, 'data/self'));
    const r = await cli(['status', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `DataError: ${path.join(dir, 'data/self')}: cannot read ${path.join(dir, 'data/self')}: a symlink loop (too many levels of symbolic links)`,
    );
    expect(r.stderr).not.toMatch(STACK);
    const v = await cli(['status', 'p.yaml', '--verbose'], dir);
    expect(v.stderr).toMatch(STACK);
    expect(v.stderr).toContain('caused by: Error: ELOOP');
  });

  it('a YAML alias bomb: a positioned validation error with exit 2, bounded work, no stack', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${new Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`,
      );
    const dir = tempProject({ 'p.yaml': `${levels.join('\n')}\nstages:\n  c: { cmd: "true", outs: [o] }\n` });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('p.yaml:2:8 YAML aliases expand too much (over 1000 expansions)');
    expect(r.stderr).not.toMatch(STACK);
    expect(readdirSync(path.join(dir, '.mlc')).filter((f) => f.endsWith('.run.pid'))).toEqual([]);
  });

  it('a stage module whose top-level await never settles: a timed-out import, exit 2, no pid file left', async () => {
    const dir = tempProject({
      'hang.ts': `import { defineStage, Type } from ${JSON.stringify(STAGE_API)};\nawait new Promise(() => {});\nexport default defineStage({ name: 'h', version: '1', description: 'd', params: Type.Object({}), inputs: () => [], outputs: () => ['o'], async run() {} });\n`,
      'p.yaml': 'stages:\n  h: { uses: ./hang.ts }\n',
    });
    const r = await execa('node', [CLI, 'run', 'p.yaml'], {
      cwd: dir,
      reject: false,
      env: { CI: '1', MLC_PIPE_IMPORT_TIMEOUT_S: '2' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'p.yaml:2:14 stages.h.uses: stage module ./hang.ts did not finish loading within 2 s (a top-level await that never settles?)',
    );
    expect(r.stderr).not.toMatch(STACK);
    expect(existsSync(path.join(dir, '.mlc/p.yaml.run.pid'))).toBe(false);
  });

  it('uses: a path that is not a .ts/.mts/.js/.mjs module is never imported', async () => {
    const dir = tempProject({
      'notes.txt': 'hello',
      'p.yaml': 'stages:\n  a: { uses: /etc/passwd }\n  b: { uses: ./notes.txt }\n  c: { uses: ./ }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'p.yaml:2:14 stages.a.uses: /etc/passwd is not a stage module: uses takes a .ts, .mts, .js, .mjs file or a built-in stage name',
    );
    expect(r.stderr).toContain('p.yaml:3:14 stages.b.uses: ./notes.txt is not a stage module');
    expect(r.stderr).toContain('p.yaml:4:14 stages.c.uses: ./ is not a stage module');
    expect(r.stderr).not.toMatch(STACK);
  });
});
