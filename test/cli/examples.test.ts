/**
 * The examples run as documented (in a temp copy, with mlc-pipe "installed" by a symlink).
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, REPO } from '../runner/project.ts';

function copyExample(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mlc-example-${name}-`));
  cpSync(path.join(REPO, 'examples', name), dir, {
    recursive: true,
    filter: (src) => !/\/(\.mlc|out|logs)$|\.mlc\.lock$/.test(src),
  });
  cpSync(path.join(REPO, 'examples', '.gitignore'), path.join(dir, '.gitignore'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n'); // a user's project; in the repo the root package.json says so
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO, path.join(dir, 'node_modules', 'mlc-pipe'));
  return dir;
}

describe('examples', () => {
  it('custom-stage: foreach/matrix instances of a TS stage, word counts computed by hand', async () => {
    const dir = copyExample('custom-stage');
    const r = await cli(['run', 'pipeline.yaml', '--jobs', '2'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect([...r.ran].sort()).toEqual(['both@1', 'both@4', 'count@a', 'count@b']);
    // text/a.txt: "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs." → 15 words, "the" ×4
    const a = JSON.parse(readFileSync(path.join(dir, 'out/a.json'), 'utf8')) as {
      total: number;
      top: [string, number][];
    };
    expect(a.total).toBe(15);
    expect(a.top[0]).toEqual(['the', 4]);
    const long = JSON.parse(readFileSync(path.join(dir, 'out/both-min4.json'), 'utf8')) as { total: number };
    // words of ≥4 letters over both files: quick brown jumps over lazy sleeps runs | pipeline turns
    // folder images into model model evaluated pruned exported (+ "the"/"dog"/"fox" are too short) = 7 + 10
    expect(long.total).toBe(17);
  });

  it('cmd-stage: argv and shell commands, params in the environment', async () => {
    const dir = copyExample('cmd-stage');
    const r = await cli(['run', 'pipeline.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.ran).toEqual(['numbers', 'stats', 'summary']);
    const xs = Array.from({ length: 50 }, (_, i) => ((i + 1) * (i + 1)) % 17);
    const stats = JSON.parse(readFileSync(path.join(dir, 'out/stats.json'), 'utf8')) as {
      n: number;
      mean: number;
      max: number;
    };
    expect(stats).toEqual({ n: 50, mean: (xs.reduce((s, x) => s + x, 0) / 50) * 2, max: Math.max(...xs) * 2 });
    const again = await cli(['run', 'pipeline.yaml'], dir);
    expect(again.ran).toEqual([]);
  });
});
