/**
 * File names are bytes: a name in an input folder that is not UTF-8 (a Latin-1 `café.jpg`) is
 * refused before anything runs (exit 2), shown escaped with the fix, never a misleading ENOENT on
 * `caf\uFFFD.jpg`. A name that really holds U+FFFD is fine.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

describe('file names are bytes', () => {
  it('a Latin-1 name in an input folder: run and status refuse it escaped with a fix, exit 2, no ENOENT', async () => {
    const dir = tempProject({
      'data/a.jpg': 'a',
      'p.yaml': 'stages:\n  c: { cmd: "ls data > out.txt", shell: true, deps: [data], outs: [out.txt] }\n',
    });
    writeFileSync(Buffer.from(path.join(dir, 'data', 'caf\xe9.jpg'), 'latin1'), 'x');
    for (const cmd of ['status', 'run']) {
      const r = await cli([cmd, 'p.yaml'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `PreflightError: ${path.join(dir, 'data')}/caf\\xE9.jpg: file name is not UTF-8: "caf\\xE9.jpg" (bytes shown as \\xHH)`,
      );
      expect(r.stderr).toContain(
        `hint: rename it with a UTF-8 name (e.g. \`convmv -f latin1 -t utf8 --notest -r ${path.join(dir, 'data')}\`), or move it out of the input folder`,
      );
      expect(r.stderr).not.toContain('ENOENT');
    }
  });

  it('a UTF-8 name holding U+FFFD itself is an ordinary name', async () => {
    const dir = tempProject({
      'data/caf\uFFFD.jpg': 'a',
      'p.yaml': 'stages:\n  c: { cmd: "ls data > out.txt", shell: true, deps: [data], outs: [out.txt] }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
  });
});
