/**
 * `mlc-pipe push` / `pull`: a teammate's fresh clone (the pipeline, its code and lock, no outputs,
 * no .mlc) pulls from the store and its first run restores every stage.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, concatStage, tempProject } from './project.ts';

describe('push / pull', () => {
  it('push to a store, pull into a fresh clone: the full run there is all restored, outputs byte-identical', async () => {
    const dir = tempProject({
      'concat.ts': concatStage({ name: 'concat' }),
      'data/raw.txt': 'raw;',
      'p.yaml': `stages:
  a: { uses: ./concat.ts, with: { inputs: [data/raw.txt], text: A, out: out/a.txt } }
  b: { uses: ./concat.ts, with: { inputs: [out/a.txt], text: B, out: out/b.txt } }
  d: { cmd: "mkdir -p out/d && cp out/b.txt out/d/x && echo y > out/d/y", shell: true, deps: [out/b.txt], outs: [out/d] }
`,
    });
    expect((await cli(['run', 'p.yaml'], dir)).ran.sort()).toEqual(['a', 'b', 'd']);
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-remote-'));
    const push = await cli(['push', 'p.yaml', '--store', store], dir);
    expect(push.code, push.stderr).toBe(0);
    // a.txt, b.txt, out/d/y and out/d's manifest (out/d/x has b.txt's bytes: one object)
    expect(push.stdout).toContain('3 runs (4 objects), 0 already there, 1 source input');
    expect((await cli(['push', 'p.yaml', '--store', store], dir)).stdout).toContain(
      '0 runs (0 objects), 3 already there, 0 source inputs',
    );

    // The clone: code and lock only (source data too is fetched from the store).
    const clone = mkdtempSync(path.join(os.tmpdir(), 'mlc-clone-'));
    for (const f of ['package.json', 'concat.ts', 'p.yaml', 'p.mlc.lock'])
      cpSync(path.join(dir, f), path.join(clone, f));
    const pull = await cli(['pull', 'p.yaml'], clone);
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain('pull: no store given');
    const pulled = await cli(['pull', 'p.yaml', '--store', store], clone);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain('3 runs (4 objects), 0 already there, 1 source input');
    expect(readFileSync(path.join(clone, 'data/raw.txt'), 'utf8')).toBe('raw;');

    const r = await cli(['run', 'p.yaml'], clone);
    expect(r.code, r.stderr).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.restored.sort()).toEqual(['a', 'b', 'd']);
    for (const f of ['out/a.txt', 'out/b.txt', 'out/d/x', 'out/d/y'])
      expect(readFileSync(path.join(clone, f), 'utf8')).toBe(readFileSync(path.join(dir, f), 'utf8'));
    expect(readFileSync(path.join(clone, 'out/b.txt'), 'utf8')).toBe('raw;AB');

    // A store missing a run: pull says which stage.
    rmSync(path.join(store, 'runs'), { recursive: true });
    const clone2 = mkdtempSync(path.join(os.tmpdir(), 'mlc-clone-'));
    for (const f of ['package.json', 'concat.ts', 'p.yaml', 'p.mlc.lock'])
      cpSync(path.join(dir, f), path.join(clone2, f));
    const partial = await cli(['pull', 'p.yaml', '--store', store], clone2);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain(`warning: not in ${path.relative(clone2, store)}: a, b, d`);
    expect(existsSync(path.join(clone2, '.mlc/cache/runs'))).toBe(false);
  });

  it("cache verify --store checks a store folder (given, or the pipeline's `store:`): a flipped byte is reported, --remove deletes it, pull then skips that run", async () => {
    const dir = tempProject(
      {
        'p.yaml':
          'store: ../shared-store\nstages:\n  c: { cmd: "echo hello > out.txt", shell: true, outs: [out.txt] }\n',
      },
      'mlc-verify-remote-',
    );
    const store = path.resolve(dir, '../shared-store');
    rmSync(store, { recursive: true, force: true });
    expect((await cli(['run', 'p.yaml'], dir)).ran).toEqual(['c']);
    expect((await cli(['push', 'p.yaml'], dir)).code).toBe(0);
    const hash = createHash('sha256').update('hello\n').digest('hex');
    const obj = path.join(store, hash.slice(0, 2), hash.slice(2));
    expect(readFileSync(obj, 'utf8')).toBe('hello\n');
    const clean = await cli(['cache', 'verify', '--store', store], dir);
    expect([clean.code, clean.stdout.trim()]).toEqual([0, `${path.relative(dir, store)}: 2 files checked, 0 problems`]);

    writeFileSync(obj, 'hellO\n'); // one byte flipped in the store only
    const flipped = createHash('sha256').update('hellO\n').digest('hex');
    for (const args of [
      ['cache', 'verify', '--store', store],
      ['cache', 'verify', 'p.yaml', '--store'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(
        `${path.relative(dir, obj)}: content hashes to ${flipped.slice(0, 12)}…, not to its name`,
      );
      expect(r.stderr).toMatch(
        /shared-store\/runs\/[0-9a-f]{64}\.json: output out\.txt is missing or corrupt in the store/,
      );
      expect(r.stdout).toContain(
        `${path.relative(dir, store)}: 2 files checked, 2 problems (run with --remove to delete them)`,
      );
    }
    expect((await cli(['cache', 'verify', 'p.yaml'], dir)).code).toBe(0); // the local run-cache is intact

    // pull straight from the corrupt store: that run is not copied (one warning, the object removed
    // there), and the clone's run reruns the stage instead of restoring bad bytes.
    const early = mkdtempSync(path.join(os.tmpdir(), 'mlc-clone-'));
    for (const f of ['package.json', 'p.yaml', 'p.mlc.lock']) cpSync(path.join(dir, f), path.join(early, f));
    const corruptPull = await cli(['pull', 'p.yaml'], early);
    expect(corruptPull.code, corruptPull.stderr).toBe(0);
    expect(corruptPull.stderr).toContain(
      `warning: corrupt in ${path.relative(early, store)} (removed there, not copied): c (the next run reruns them)`,
    );
    expect(existsSync(obj)).toBe(false);
    const rerun = await cli(['run', 'p.yaml'], early);
    expect([rerun.code, rerun.ran, rerun.restored]).toEqual([0, ['c'], []]);
    expect(readFileSync(path.join(early, 'out.txt'), 'utf8')).toBe('hello\n');

    const removed = await cli(['cache', 'verify', '--store', store, '--remove'], dir);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toMatch(
      /shared-store\/runs\/[0-9a-f]{64}\.json: output out\.txt is missing or corrupt in the store \(removed\)/,
    );
    expect((await cli(['cache', 'verify', '--store', store], dir)).stdout.trim()).toBe(
      `${path.relative(dir, store)}: 0 files checked, 0 problems`,
    );

    const clone = mkdtempSync(path.join(os.tmpdir(), 'mlc-clone-'));
    for (const f of ['package.json', 'p.yaml', 'p.mlc.lock']) cpSync(path.join(dir, f), path.join(clone, f));
    const pulled = await cli(['pull', 'p.yaml', '--store', store], clone);
    expect(pulled.stderr).toContain('warning: not in');
    expect(existsSync(path.join(clone, 'out.txt'))).toBe(false);

    const none = await cli(['cache', 'verify', '--store', path.join(store, 'nope')], dir);
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringContaining(`cache verify: store ${path.join(store, 'nope')} is not a folder`),
    ]);
    rmSync(store, { recursive: true, force: true });
  });
});
