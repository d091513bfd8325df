/**
 * Exit codes never lie: a run whose stages did not all complete exits non-zero, every stage ends
 * with a ✔, ✖ or ⊘ line and its reason, and an output that cannot be created names its path and
 * the cause (not a folder, read-only file system, a mount point).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, concatStage, tempProject } from '../runner/project.ts';

/** Whether this machine lets the test mount a tmpfs (root in a container that allows it). */
function canMount(): boolean {
  const probe = tempProject({});
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted: string[] = [];
afterAll(() => {
  for (const m of mounted) execFileSync('umount', [m], { stdio: 'ignore' });
});

describe('exit codes never lie', () => {
  it('a cmd output whose parent is a file: ✖ naming the path and "not a folder", its dependant ⊘, exit 1', async () => {
    const dir = tempProject({
      afile: 'a file, not a folder',
      'p.yaml':
        'stages:\n  a: { cmd: "true", outs: [afile/x.txt] }\n  b: { cmd: "cp afile/x.txt y", deps: [afile/x.txt], outs: [y] }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '✖ a: stage a: cannot prepare output "afile/x.txt": afile: not a folder (a file is in the way)',
    );
    expect(r.stdout).toContain('⊘ b: upstream failed: a');
    expect(r.stdout).toContain('done: 0 ran, 0 restored, 0 up to date, 1 failed, 1 not run');
    expect(r.stderr).toContain('hint: a file stands where a folder of "afile/x.txt" must go');
  });

  it('a module stage (as convert with out: afile/m) fails the same way, and nothing is recorded', async () => {
    const dir = tempProject({
      afile: 'x',
      'cat.ts': concatStage({ name: 'cat' }),
      'p.yaml': 'stages:\n  m: { uses: ./cat.ts, with: { out: afile/m } }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ m: stage m: cannot prepare output "afile/m": afile: not a folder');
    expect(readdirSync(dir)).not.toContain('p.yaml.lock');
  });

  it.skipIf(!canMount())('a read-only mount and a mount point as an output: the cause in words, exit 1', async () => {
    const dir = tempProject({
      'cat.ts': concatStage({ name: 'cat' }),
      'p.yaml':
        'stages:\n  ro: { uses: ./cat.ts, with: { out: ro/m } }\n  mp: { uses: ./cat.ts, with: { out: mnt } }\n',
    });
    for (const [name, opts] of [
      ['ro', 'ro,size=1m'],
      ['mnt', 'size=1m'],
    ] as const) {
      mkdirSync(path.join(dir, name));
      execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', path.join(dir, name)]);
      mounted.push(path.join(dir, name));
    }
    writeFileSync(path.join(dir, 'mnt', 'inside.txt'), 'x');
    const r = await cli(['run', 'p.yaml', '--keep-going'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ ro: stage ro: cannot prepare output "ro/m": ro: read-only file system');
    expect(r.stdout).toContain('✖ mp: stage mp: cannot prepare output "mnt": mnt: busy (a mount point, or in use)');
  });

  it('a run with a failed stage and stages not run never exits 0, and says so for each stage', async () => {
    const dir = tempProject({
      'p.yaml':
        'stages:\n  a: { cmd: "exit 3", shell: true, outs: [a] }\n  b: { cmd: "touch b", deps: [a], outs: [b] }\n  c: { cmd: "touch c", outs: [c] }\n',
    });
    const r = await cli(['run', 'p.yaml', '--jobs', '1'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✖ a: stage a: command exited with code 3/m);
    expect(r.stdout).toMatch(/^⊘ b: upstream failed: a$/m);
    expect(r.stdout).toMatch(/^(✔ c|⊘ c: not run: an earlier stage failed)/m);
  });
});
