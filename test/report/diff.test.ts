import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenMetrics, metricsDiff, metricsDiffRows } from '../../src/report/diff.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-diff-'));
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
  await writeFile(
    join(dir, 'a', 'metrics.json'),
    JSON.stringify({ summary: { mAP: 0.5, acc: 0.9 }, heads: { d: { ap: 0.25, confusion: [[1]] } }, old: 3 }),
  );
  await writeFile(
    join(dir, 'b', 'metrics.json'),
    JSON.stringify({ summary: { mAP: 0.625, acc: 0.9 }, heads: { d: { ap: null, confusion: [[2]] } }, extra: 1 }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('metricsDiff', () => {
  it('flattens numbers with dotted keys and skips arrays', () => {
    expect([...flattenMetrics({ a: { b: 1, c: [1, 2], d: null, e: 'x' }, f: true })]).toEqual([
      ['a.b', 1],
      ['a.d', null],
      ['f', 1],
    ]);
  });

  it('lists changed, added and removed metrics with the change B − A (all: every metric, changed or not)', async () => {
    const rows = (await metricsDiffRows(join(dir, 'a'), join(dir, 'b', 'metrics.json'), { all: true })).filter(
      (r) => r[1] !== 'summary.acc',
    );
    const rel = relative(process.cwd(), join(dir, 'b', 'metrics.json'));
    const p = rel.startsWith('..') ? join(dir, 'b', 'metrics.json') : rel; // outside the cwd: absolute
    expect(rows).toEqual([
      [p, 'summary.mAP', '0.5', '0.625', '0.125'],
      [p, 'heads.d.ap', '0.25', 'null', '-'],
      [p, 'old', '3', '-', '-'],
      [p, 'extra', '-', '1', '-'],
    ]);
    expect((await metricsDiffRows(join(dir, 'a'), join(dir, 'b'), { all: true })).map((r) => r[1])).toContain(
      'summary.acc',
    );
  });

  it('by default: only the summary metrics that changed', async () => {
    expect((await metricsDiffRows(join(dir, 'a'), join(dir, 'b'))).map((r) => r[1])).toEqual(['summary.mAP']);
  });

  it('prints an aligned table, or "No changes."', async () => {
    const text = await metricsDiff(join(dir, 'a'), join(dir, 'b'), { all: true });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Path\s+Metric\s+A\s+B\s+Change$/);
    expect(lines).toHaveLength(6);
    expect(lines[0]!.indexOf('Metric')).toBe(lines[1]!.indexOf('summary.mAP'));
    expect(await metricsDiff(join(dir, 'a'), join(dir, 'a'))).toBe('No changes.\n');
  });

  it('says which path is missing', async () => {
    await expect(metricsDiff(join(dir, 'none'), join(dir, 'a'))).rejects.toThrow(
      `${join(dir, 'none')}: no such run folder or metrics file`,
    );
  });
});
