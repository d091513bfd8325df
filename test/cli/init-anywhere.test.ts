/**
 * `mlc-pipe init` in a folder where mlc-pipe is not installed: the scaffolded custom stage imports
 * `mlc-pipe/stage`, which bin/self-resolve-hook.mjs maps to the running package.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../runner/project.ts';

describe('mlc-pipe init outside the package', () => {
  for (const fromSource of [false, true]) {
    it(`the scaffold's custom stage runs (${fromSource ? 'MLC_PIPE_FROM_SOURCE=1' : 'bundled CLI'})`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-init-'));
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      expect((await cli(['init', dir], dir)).code).toBe(0);
      const source = readFileSync(path.join(dir, 'stages', 'hello.ts'), 'utf8');
      expect(source).toContain("from 'mlc-pipe/stage'");
      const env = fromSource ? { MLC_PIPE_FROM_SOURCE: '1' } : {};
      const prev = { ...process.env };
      Object.assign(process.env, env);
      try {
        const r = await cli(['run', 'pipeline.yaml', '--stage', 'hello'], dir);
        expect(r.code, r.stdout + r.stderr).toBe(0);
      } finally {
        process.env = prev;
      }
      expect(readFileSync(path.join(dir, 'reports', 'hello.txt'), 'utf8')).toBe('hi\n');
    });
  }
});
