/**
 * Nothing is lost on failure: a failed stage's partial outputs land in `.mlc/failed/<id>/`,
 * never in place, in the lock or in the run-cache.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, STAGE_API, tempProject, writeFiles } from './project.ts';

/** Writes `out/part.txt` (the `text` param) and `extra.txt` when `extra`, then throws unless `ok`. */
const WRITE_THEN_THROW = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'write-then-throw', version: '1', description: 'writes, then fails',
  params: Type.Object({
    text: Type.String({ description: 'Written.' }),
    extra: Type.Boolean({ default: false, description: 'Also write out/extra.txt. Defaults to false.' }),
    ok: Type.Boolean({ default: false, description: 'Succeed. Defaults to false.' }),
  }),
  inputs: () => [],
  outputs: () => ['out', 'single.txt'],
  async run(ctx) {
    writeFileSync(ctx.out('out/part.txt'), ctx.params.text);
    if (ctx.params.extra) writeFileSync(ctx.out('out/extra.txt'), 'extra');
    if (ctx.params.ok) { writeFileSync(ctx.out('single.txt'), 'done'); return; }
    throw new Error('wrote ' + ctx.params.text + ', then gave up');
  },
});
`;

const lockIds = (dir: string, name = 'p') => {
  const f = path.join(dir, `${name}.mlc.lock`);
  return existsSync(f) ? Object.keys((parse(readFileSync(f, 'utf8')) as { stages: object }).stages) : [];
};
const runs = (dir: string) =>
  existsSync(path.join(dir, '.mlc/cache/runs')) ? readdirSync(path.join(dir, '.mlc/cache/runs')) : [];

describe('outputs of a failed stage', () => {
  it('a module stage: temp outputs move to .mlc/failed/<id>/<path>, the message says where, a later failure replaces them, success clears them', async () => {
    const dir = tempProject({
      'w.ts': WRITE_THEN_THROW,
      'p.yaml': 'stages:\n  w: { uses: ./w.ts, with: { text: first, extra: true } }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    const where = '.mlc/failed/w: out)';
    expect(r.stdout).toContain(`✖ w: stage w: wrote first, then gave up (partial outputs kept in ${where}`);
    expect(readFileSync(path.join(dir, 'logs/p/w.log'), 'utf8')).toContain(
      `# failed: stage w: wrote first, then gave up (partial outputs kept in ${where}`,
    );
    expect(readFileSync(path.join(dir, '.mlc/failed/w/out/part.txt'), 'utf8')).toBe('first');
    expect(readFileSync(path.join(dir, '.mlc/failed/w/out/extra.txt'), 'utf8')).toBe('extra');
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(existsSync(path.join(dir, '.out.mlc-tmp'))).toBe(false);
    expect(lockIds(dir)).toEqual([]);
    expect(runs(dir)).toEqual([]);

    writeFiles(dir, { 'p.yaml': 'stages:\n  w: { uses: ./w.ts, with: { text: second } }\n' });
    expect((await cli(['run', 'p.yaml'], dir)).code).toBe(1);
    expect(readdirSync(path.join(dir, '.mlc/failed/w/out'))).toEqual(['part.txt']); // the older copy is gone, not merged
    expect(readFileSync(path.join(dir, '.mlc/failed/w/out/part.txt'), 'utf8')).toBe('second');

    writeFiles(dir, { 'p.yaml': 'stages:\n  w: { uses: ./w.ts, with: { text: third, ok: true } }\n' });
    const ok = await cli(['run', 'p.yaml'], dir);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/part.txt'), 'utf8')).toBe('third');
    expect(existsSync(path.join(dir, '.mlc/failed/w'))).toBe(false);
    expect(lockIds(dir)).toEqual(['w']);
  });

  it('a cmd stage: its in-place outputs move there too', async () => {
    const dir = tempProject({
      'p.yaml':
        'stages:\n  c: { cmd: "mkdir -p res && echo partial > res/c.txt && exit 3", shell: true, outs: [res/c.txt, never.txt] }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('(partial outputs kept in .mlc/failed/c: res/c.txt)');
    expect(readFileSync(path.join(dir, '.mlc/failed/c/res/c.txt'), 'utf8')).toBe('partial\n');
    expect(existsSync(path.join(dir, 'res/c.txt'))).toBe(false);
    expect(lockIds(dir)).toEqual([]);
    expect(runs(dir)).toEqual([]);
  });

  it('check-labels over max_reject_rate leaves rejects.txt readable in .mlc/failed', async () => {
    const dir = tempProject({
      'data/classes.json': JSON.stringify({ heads: [{ name: 'kind', classes: ['a', 'b'] }] }),
      'data/train.txt': 'missing1.jpg 0\nmissing2.jpg 1\n',
      'p.yaml':
        'stages:\n  check: { uses: check-labels, with: { labels: data/train.txt, out: data/clean, max_reject_rate: 0.1 } }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('max_reject_rate');
    expect(r.stdout).toContain('(partial outputs kept in .mlc/failed/check: data/clean)');
    const rejects = readFileSync(path.join(dir, '.mlc/failed/check/data/clean/rejects.txt'), 'utf8');
    expect(rejects).toContain('missing1.jpg 0');
    expect(rejects).toContain('missing2.jpg 1');
    expect(existsSync(path.join(dir, 'data/clean'))).toBe(false);
  });
});
