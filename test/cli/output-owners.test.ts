/**
 * One owner per output: two pipeline files in one folder that declare the same output (or one
 * inside the other's output folder) are refused, naming both files and lines (exit 2), before
 * either runs; run at the same moment, neither writes anything.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

const A = 'stages:\n  a: { cmd: "echo A > f.txt && touch A.only", shell: true, outs: [f.txt, A.only] }\n';
const B = 'stages:\n  b:\n    cmd: "echo B > f.txt && touch B.only"\n    shell: true\n    outs: [B.only, f.txt]\n';

describe('one owner per output', () => {
  it('two pipeline files declaring f.txt: both refused naming each other at file:line, exit 2, nothing written', async () => {
    const dir = tempProject({ 'a.yaml': A, 'b.yaml': B });
    const [ra, rb] = await Promise.all([cli(['run', 'a.yaml'], dir), cli(['run', 'b.yaml'], dir)]);
    expect(ra.code).toBe(2);
    expect(ra.stderr).toContain(
      'a.yaml:2:67 stages.a.outs.0: output "f.txt" of stage "a" is also written by stage "b" of b.yaml:2:3',
    );
    expect(ra.stderr).toContain('hint: an output has one owner');
    expect(rb.code).toBe(2);
    expect(rb.stderr).toContain(
      'b.yaml:5:20 stages.b.outs.1: output "f.txt" of stage "b" is also written by stage "a" of a.yaml:2:3',
    );
    for (const f of ['f.txt', 'A.only', 'B.only']) expect(existsSync(path.join(dir, f))).toBe(false);
    const st = await cli(['status', 'b.yaml'], dir);
    expect(st.code).toBe(2);
  });

  it("an output inside another pipeline's output folder overlaps too; a sibling added after a run is caught", async () => {
    const dir = tempProject({
      'a.yaml': 'stages:\n  a: { cmd: "mkdir -p out && touch out/x", shell: true, outs: [out] }\n',
    });
    expect((await cli(['run', 'a.yaml'], dir)).code).toBe(0);
    writeFileSync(path.join(dir, 'c.yaml'), 'stages:\n  c: { cmd: "touch out/y", outs: [out/y] }\n');
    const r = await cli(['status', 'a.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'output "out" of stage "a" is also written by stage "c" of c.yaml:2:3 (its output "out/y")',
    );
  });

  it('pipeline files with distinct outputs in one folder run as before', async () => {
    const dir = tempProject({ 'a.yaml': A, 'd.yaml': 'stages:\n  d: { cmd: "touch d.txt", outs: [d.txt] }\n' });
    expect((await cli(['run', 'a.yaml'], dir)).code).toBe(0);
    expect((await cli(['run', 'd.yaml'], dir)).code).toBe(0);
  });
});
