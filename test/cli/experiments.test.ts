/**
 * `exp show`, `params diff`, `metrics show` on a real run of a matrix sweep whose stage returns
 * metrics computed from its params (so every number in the tables is known in advance).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './run-main.ts';
import { STAGE_API, tempProject } from '../runner/project.ts';

const run = runMain;

// score = lr * bs, loss = 1 / (lr * bs): known for every instance
const STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'fit', version: '1', description: 'test stage returning metrics',
  params: Type.Object({
    lr: Type.Number({ description: 'Rate. Defaults to 0.1.', default: 0.1 }),
    bs: Type.Integer({ description: 'Batch. Defaults to 8.', default: 8 }),
    seed: Type.Integer({ description: 'Seed. Defaults to 0.', default: 0 }),
    out: Type.String({ description: 'Output.' }),
  }),
  inputs: () => [], outputs: (p) => [p.out],
  async run(ctx) {
    writeFileSync(ctx.out(ctx.params.out), 'x');
    return { metrics: { score: ctx.params.lr * ctx.params.bs, loss: 1 / (ctx.params.lr * ctx.params.bs) } };
  },
});
`;
const PIPE = (lrs: string) => `stages:
  sweep:
    matrix: { lr: ${lrs}, bs: [10, 20] }
    uses: ./fit.ts
    with: { lr: "\${item.lr}", bs: "\${item.bs}", out: "out/\${key}.txt" }
  single:
    uses: ./fit.ts
    with: { lr: 1, bs: 1, out: out/single.txt }
`;

describe('experiments', () => {
  const dir = tempProject({ 'fit.ts': STAGE, 'p.yaml': PIPE('[0.1, 0.2]') });
  const file = path.join(dir, 'p.yaml');

  it('exp show: one row per matrix instance, the params that differ and the metrics; sortable; csv and json', async () => {
    expect((await run('run', file, '--plain')).code).toBe(0);
    const r = await run('exp', 'show', file, '--sort-by', 'score', '--sort-order', 'desc');
    expect(r.code).toBe(0);
    const [sweep, single] = r.out.trim().split('\n\n');
    const lines = sweep!.split('\n');
    expect(lines[0]).toBe('sweep (4 rows)');
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['Stage', 'Created', 'State', 'lr', 'bs', 'out', 'score', 'loss']); // seed is the same everywhere
    const cells = lines.slice(2).map((l) => l.split(/\s{2,}/));
    expect(cells.map((c) => c[0])).toEqual(['sweep@0.2-20', 'sweep@0.1-20', 'sweep@0.2-10', 'sweep@0.1-10']);
    expect(cells.map((c) => c.slice(-2))).toEqual([
      ['4', '0.25'],
      ['2', '0.5'],
      ['2', '0.5'],
      ['1', '1'],
    ]);
    expect(cells.every((c) => c[2] === 'workspace' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(c[1]!))).toBe(true);
    expect(single!.split('\n')[0]).toBe('single (1 row)');
    expect(single!.split('\n')[1]!.split(/\s{2,}/)).toEqual(['Stage', 'Created', 'State', 'score', 'loss']); // nothing differs within one row

    const csv = (await run('exp', 'show', file, '--csv')).out.trim().split('\n');
    expect(csv[0]).toBe('stage,template,state,created,lr,bs,out,score,loss');
    expect(csv[1]).toMatch(/^sweep@0\.1-10,sweep,workspace,\d{4}-[^,]+,0\.1,10,out\/0\.1-10\.txt,1,1$/);
    const json = JSON.parse((await run('exp', 'show', file, '--json')).out);
    expect(json).toHaveLength(5);
    expect(json[0]).toMatchObject({
      stage: 'sweep@0.1-10',
      template: 'sweep',
      state: 'workspace',
      params: { lr: 0.1, bs: 10, seed: 0 },
      metrics: { score: 1, loss: 1 },
    });
  });

  it('exp show --all adds earlier results from the run-cache; changed params mark the stale rows', async () => {
    writeFileSync(file, PIPE('[0.3, 0.2]'));
    const before = JSON.parse(
      (await run('exp', 'show', file, '--json', '-S', 'stages.single.with.seed=5')).out,
    ) as Array<{ stage: string; state: string }>;
    expect(before.map((r) => `${r.stage}:${r.state}`)).toEqual([
      'sweep@0.3-10:not run',
      'sweep@0.3-20:not run',
      'sweep@0.2-10:workspace',
      'sweep@0.2-20:workspace',
      'single:changed',
    ]);
    expect((await run('run', file, '--plain')).code).toBe(0);
    const rows = JSON.parse((await run('exp', 'show', file, '--all', '--json')).out) as Array<{
      stage: string;
      state: string;
      at: string;
    }>;
    // 4 sweep + 1 single now, plus the two 0.1 instances of the first run (the 0.2 ones are the current results),
    // after the template's current rows, oldest first (the two ran in parallel: either may be first)
    expect(rows.map((r) => `${r.stage}:${r.state}`)).toEqual([
      'sweep@0.3-10:workspace',
      'sweep@0.3-20:workspace',
      'sweep@0.2-10:workspace',
      'sweep@0.2-20:workspace',
      ...[rows[4]!.stage, rows[5]!.stage].map((s) => `${s}:run-cache`),
      'single:workspace',
    ]);
    expect([rows[4]!.stage, rows[5]!.stage].sort()).toEqual(['sweep@0.1-10', 'sweep@0.1-20']);
    expect(rows[4]!.at <= rows[5]!.at).toBe(true);
    const text = (await run('exp', 'show', file, '--all')).out;
    expect(text).toContain('sweep (6 rows)');
    const bad = await run('exp', 'show', file, '--sort-by', 'scor');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--sort-by scor: no such metric or param');
    expect(bad.err).toContain('did you mean "score"?');
  });

  it('params diff: lock → pipeline like dvc params diff, or two instances side by side', async () => {
    expect((await run('params', 'diff', file)).out).toBe('No changes.\n');
    const changed = await run('params', 'diff', file, '-S', 'stages.single.with.lr=2');
    expect(changed.out.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['Stage', 'Param', 'Last run', 'Now'],
      ['single', 'lr', '1', '2'],
      [''],
    ]);
    const two = await run('params', 'diff', file, 'sweep@0.3-10', 'sweep@0.2-20');
    expect(two.out.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['Param', 'sweep@0.3-10', 'sweep@0.2-20'],
      ['lr', '0.3', '0.2'],
      ['bs', '10', '20'],
      ['out', 'out/0.3-10.txt', 'out/0.2-20.txt'],
      [''],
    ]);
    const json = JSON.parse((await run('params', 'diff', file, 'sweep@0.3-10', 'sweep@0.2-20', '--json')).out);
    expect(json[0]).toEqual({ Param: 'lr', 'sweep@0.3-10': 0.3, 'sweep@0.2-20': 0.2 });
    const bad = await run('params', 'diff', file, 'sweep');
    expect(bad.code).toBe(2);
  });

  it("metrics show: each stage's metrics from the lock, and a metrics.json summary", async () => {
    const r = await run('metrics', 'show', file);
    const [sweep, single] = r.out
      .trim()
      .split('\n\n')
      .map((t) => t.split('\n').map((l) => l.split(/\s{2,}/)));
    expect(sweep![0]).toEqual(['Path', 'score', 'loss']);
    expect(sweep!.slice(1)).toContainEqual(['sweep@0.3-20', '6', String(Number((1 / 6).toFixed(5)))]);
    expect(single).toEqual([
      ['Path', 'score', 'loss'],
      ['single', '1', '1'],
    ]);
    const m = path.join(dir, 'metrics.json');
    writeFileSync(m, JSON.stringify({ summary: { all_heads_acc: 0.123456789, mAP: null }, heads: {} }));
    expect((await run('metrics', 'show', m, '--precision', '3')).out).toBe(
      `Path${' '.repeat(m.length - 2)}all_heads_acc  mAP\n${m}  0.123          null\n`,
    );
    expect(JSON.parse((await run('metrics', 'show', m, '--json')).out)).toEqual({
      [m]: { all_heads_acc: 0.123456789, mAP: null },
    });
    expect(readFileSync(file, 'utf8')).toContain('single');
  });
});
