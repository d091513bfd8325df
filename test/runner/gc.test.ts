/**
 * `mlc-pipe gc`: run-cache entries no lock refers to go, with the objects only they used; the
 * bytes reported are the sizes of the files that vanished.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from './project.ts';

/** Every file under `dir` with its size. */
function files(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else out.set(path.relative(dir, abs), statSync(abs).size);
    }
  };
  walk(dir);
  return out;
}

const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('mlc-pipe gc', () => {
  it('removes runs and objects no lock refers to, keeps those of every pipeline sharing the cache, reports freed bytes', async () => {
    const dir = tempProject({
      'a.yaml': `vars: { t: one }
stages:
  file: { cmd: "echo file-\${vars.t} > f.txt", shell: true, outs: [f.txt] }
  dir: { cmd: "mkdir -p d && echo dir-\${vars.t} > d/x.txt && echo same > d/same.txt", shell: true, outs: [d] }
`,
      'b.yaml': 'stages:\n  bb: { cmd: "echo b > b.txt", shell: true, outs: [b.txt] }\n',
    });
    const cache = path.join(dir, '.mlc', 'cache');
    expect((await cli(['run', 'a.yaml'], dir)).ran.sort()).toEqual(['dir', 'file']);
    expect((await cli(['run', 'b.yaml'], dir)).ran).toEqual(['bb']);
    expect((await cli(['run', 'a.yaml', '-S', 'vars.t=two'], dir)).ran.sort()).toEqual(['dir', 'file']);
    // Now a's lock holds the "two" runs; the "one" runs are only in the cache (a flip back restores them).
    expect(flat((await cli(['status', 'a.yaml'], dir)).stdout)).toContain('restore file');
    const before = files(cache);
    expect([...before.keys()].filter((f) => f.startsWith('runs/'))).toHaveLength(5);

    // Only a.yaml named, dry run: b's run would go too (it is not referenced by a.yaml's lock); nothing is removed.
    const dry = await cli(['gc', 'a.yaml', '--dry-run'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('.mlc/cache: would remove 3 runs and 4 objects');
    expect(files(cache)).toEqual(before);

    // No files: every pipeline with a lock under the folder, so b's run stays.
    const r = await cli(['gc'], dir);
    expect(r.code, r.stderr).toBe(0);
    const after = files(cache);
    const gone = [...before.keys()].filter((f) => !after.has(f));
    // file@one and dir@one runs; blobs "file-one", "dir-one" and dir@one's manifest ("same" is shared with dir@two).
    expect(gone.filter((f) => f.startsWith('runs/'))).toHaveLength(2);
    expect(gone.filter((f) => !f.startsWith('runs/'))).toHaveLength(3);
    expect(gone.filter((f) => f.endsWith('.dir'))).toHaveLength(1);
    const freed = gone.reduce((n, f) => n + before.get(f)!, 0);
    expect(freed).toBeGreaterThan(0);
    expect(r.stdout).toContain(`.mlc/cache: removed 2 runs and 3 objects, freed ${freed} bytes`);
    expect(r.stdout).toContain('kept 3 runs referenced by a.yaml, b.yaml');

    // What the locks use is intact: everything up to date, a deleted output still restores; the gc'ed key reruns.
    expect((await cli(['run', 'b.yaml'], dir)).skipped).toEqual(['bb']);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'd'), { recursive: true });
    const restored = await cli(['run', 'a.yaml', '-S', 'vars.t=two'], dir);
    expect(restored.restored).toEqual(['dir']);
    const back = await cli(['run', 'a.yaml'], dir);
    expect(back.restored).toEqual([]);
    expect(back.ran.sort()).toEqual(['dir', 'file']);

    expect((await cli(['gc'], dir)).stdout).toContain('removed 2 runs'); // the "two" runs, now unreferenced
  });
});
