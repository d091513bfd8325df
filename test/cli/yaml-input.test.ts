/**
 * YAML input is UTF-8 or refused at its first bad byte; nesting past a fixed limit is refused at
 * file:line (never an internal error); a stage changed by -S is validated as a whole, like the
 * file, and each problem names the -S argument. All exit 2, before anything runs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

const STACK = /^\s+at /m;

describe('YAML input', () => {
  it('a Latin-1 byte: refused at its line:col with the fix, exit 2, never read as U+FFFD', async () => {
    const dir = tempProject({});
    writeFileSync(
      path.join(dir, 'p.yaml'),
      Buffer.from('stages:\n  s: { cmd: "echo caf\xe9 > o", shell: true, outs: [o] }\n', 'latin1'),
    );
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'p.yaml:2:22 not UTF-8: byte 0xE9 at line 2, column 22 is not valid UTF-8 (Latin-1 or another 8-bit encoding?)',
    );
    expect(r.stderr).toContain('hint: save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 p.yaml > fixed.yaml`');
    expect(existsSync(path.join(dir, 'o'))).toBe(false);
  });

  it('nesting past 100 levels (1,000 block maps, 10,000 flow maps): refused at file:line, exit 2, no internal error', async () => {
    let block = 'stages:\n  s:\n    cmd: "true"\n    params:\n';
    for (let i = 0; i < 1000; i++) block += `${' '.repeat(6 + i)}k${i}:\n`;
    const flow = `stages:\n  s: { cmd: "true", params: ${'{k: '.repeat(10_000)}1${'}'.repeat(10_000)} }\n`;
    const dir = tempProject({ 'block.yaml': block, 'flow.yaml': flow });
    for (const cmd of ['validate', 'run', 'status']) {
      const r = await cli([cmd, 'block.yaml'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('block.yaml:101:103 maps and lists nest deeper than 100 levels');
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).not.toMatch(STACK);
    }
    const f = await cli(['run', 'flow.yaml'], dir);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/flow\.yaml:2:\d+ maps and lists nest deeper than 100 levels/);
    expect(f.stderr).not.toContain('internal error');
  });

  it('-S stages.s.cmd= and -S stages.s.cmd=[]: refused naming the -S argument, exit 2, nothing runs', async () => {
    const dir = tempProject({ 'p.yaml': 'stages:\n  s: { cmd: "touch ran", outs: [ran] }\n' });
    const a = await cli(['run', 'p.yaml', '-S', 'stages.s.cmd='], dir);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('-S stages.s.cmd=: expected a string or a list of strings, received null');
    const b = await cli(['run', 'p.yaml', '-S', 'stages.s.cmd=[]', '-S', 'stages.s.timeout=-1'], dir);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('-S stages.s.cmd=[]: expected a string or a list of strings, received []');
    expect(b.stderr).toContain('-S stages.s.timeout=-1: must be > 0, received -1');
    expect(b.stderr).not.toContain('ENOENT');
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    const ok = await cli(['run', 'p.yaml', '-S', 'stages.s.cmd=[touch, ran]'], dir);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
