/**
 * Outputs stay inside the pipeline's working folder: `..`, absolute paths and symbolic links that
 * lead outside are refused at validation (file:line, exit 2), and at run time nothing is deleted,
 * replaced or restored through such a path. Inputs may still be read from outside.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, concatStage, tempProject } from '../runner/project.ts';

const STACK = /^\s+at /m;

function outsideFolder(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mlc-pipe-outside-'));
  writeFileSync(path.join(d, 'keep.txt'), 'precious');
  return d;
}

describe('outputs stay inside the working folder', () => {
  it('cmd outs with .., an absolute path, or through a symlink to outside: refused at file:line, exit 2, nothing touched', async () => {
    const outside = outsideFolder();
    const dir = tempProject({
      'p.yaml': [
        'stages:',
        '  up: { cmd: "touch ../x", outs: [../x] }',
        `  abs: { cmd: "true", outs: [${path.join(outside, 'y')}] }`,
        '  link: { cmd: "true", outs: [out/data] }',
        '',
      ].join('\n'),
    });
    symlinkSync(outside, path.join(dir, 'out'));
    for (const cmd of ['validate', 'run', 'status']) {
      const r = await cli([cmd, 'p.yaml'], dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `p.yaml:2:35 stages.up.outs.0: output "../x" of stage "up" is outside the working folder ${dir}`,
      );
      expect(r.stderr).toContain(
        `p.yaml:3:30 stages.abs.outs.0: output "${path.join(outside, 'y')}" of stage "abs" is outside the working folder`,
      );
      expect(r.stderr).toContain(
        `p.yaml:4:31 stages.link.outs.0: output "out/data" of stage "link" is outside the working folder ${dir} (it leads to ${path.join(outside, 'data')})`,
      );
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(readdirSync(outside)).toEqual(['keep.txt']);
    expect(existsSync(path.join(dir, '..', 'x'))).toBe(false);
  });

  it('a symlinked output folder that is emptied before the stage runs: the outside folder keeps its files', async () => {
    const outside = outsideFolder();
    mkdirSync(path.join(outside, 'data'));
    writeFileSync(path.join(outside, 'data', 'f.txt'), 'outside file');
    const dir = tempProject({
      'p.yaml':
        'stages:\n  s: { cmd: "mkdir -p out/data && echo new > out/data/f.txt", shell: true, outs: [out/data] }\n',
    });
    symlinkSync(outside, path.join(dir, 'out'));
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(readFileSync(path.join(outside, 'data', 'f.txt'), 'utf8')).toBe('outside file');
  });

  it('a module stage whose out param is ../../x or absolute: refused at the param, exit 2', async () => {
    const outside = outsideFolder();
    const dir = tempProject({
      'cat.ts': concatStage({ name: 'cat' }),
      'p.yaml': `stages:\n  a: { uses: ./cat.ts, with: { out: ../../x } }\n  b: { uses: ./cat.ts, with: { out: ${path.join(outside, 'm')} } }\n`,
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'p.yaml:2:37 stages.a.with.out: output "../../x" of stage "a" is outside the working folder',
    );
    expect(r.stderr).toContain(
      `p.yaml:3:37 stages.b.with.out: output "${path.join(outside, 'm')}" of stage "b" is outside the working folder`,
    );
    expect(readdirSync(outside)).toEqual(['keep.txt']);
  });

  it('a run-cache record naming an output outside the folder: nothing restored through it, the stage runs instead', async () => {
    const outside = outsideFolder();
    const pipeline = (v: string) => `stages:\n  s: { cmd: "echo ${v} > f.txt", shell: true, outs: [f.txt] }\n`;
    const dir = tempProject({ 'p.yaml': pipeline('v1') });
    expect((await cli(['run', 'p.yaml'], dir)).code).toBe(0);
    const runs = path.join(dir, '.mlc/cache/runs');
    const [v1] = readdirSync(runs);
    // A damaged record: its output now names a file outside the working folder.
    const rec = JSON.parse(readFileSync(path.join(runs, v1!), 'utf8')) as { outputs: Record<string, string> };
    rec.outputs = { [path.join(outside, 'keep.txt')]: rec.outputs['f.txt']! };
    writeFileSync(path.join(runs, v1!), JSON.stringify(rec));
    writeFileSync(path.join(dir, 'p.yaml'), pipeline('v2'));
    expect((await cli(['run', 'p.yaml'], dir)).code).toBe(0);
    writeFileSync(path.join(dir, 'p.yaml'), pipeline('v1')); // back to v1: its run-cache record would restore
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `names output "${path.join(outside, 'keep.txt')}", which leads outside the working folder`,
    );
    expect(r.ran).toEqual(['s']);
    expect(readFileSync(path.join(outside, 'keep.txt'), 'utf8')).toBe('precious');
    expect(readFileSync(path.join(dir, 'f.txt'), 'utf8')).toBe('v1\n');
  });

  it('inputs may be read from outside the working folder', async () => {
    const outside = outsideFolder();
    const dir = tempProject({
      'p.yaml': `stages:\n  s: { cmd: "cp ${path.join(outside, 'keep.txt')} copy.txt", deps: [${path.join(outside, 'keep.txt')}], outs: [copy.txt] }\n`,
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'copy.txt'), 'utf8')).toBe('precious');
  });
});
