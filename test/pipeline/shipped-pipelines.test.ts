/**
 * The shipped pipelines can live in one checkout: no output of one lies inside (or is) an output of
 * another, so running one never replaces the other's results (quickstart's data/plates-clean once
 * held resnext_ghm's checked splits).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.ts';
import { pathsOverlap } from '../../src/pipeline/graph.ts';
import { builtinStages } from '../../stages/registry.ts';

const DIR = path.resolve(import.meta.dirname, '../../pipelines');

describe('shipped pipelines', () => {
  it('write disjoint outputs', async () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files).toEqual(expect.arrayContaining(['quickstart.yaml', 'resnext_ghm.yaml']));
    const outs = await Promise.all(
      files.map(async (f) => ({
        f,
        outs: (await loadPipeline(path.join(DIR, f), { stages: builtinStages })).stages.flatMap((s) => s.outputs),
      })),
    );
    const clashes: string[] = [];
    for (let i = 0; i < outs.length; i++)
      for (let j = i + 1; j < outs.length; j++)
        for (const a of outs[i]!.outs)
          for (const b of outs[j]!.outs)
            if (pathsOverlap(a, b)) clashes.push(`${outs[i]!.f}: ${a} ~ ${outs[j]!.f}: ${b}`);
    expect(outs.every((o) => o.outs.length > 5)).toBe(true);
    expect(clashes).toEqual([]);
  });
});
