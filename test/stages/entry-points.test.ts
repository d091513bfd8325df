/**
 * The entry-point registry (stages/entry-points.ts): every name loads its ML module, and the CLI
 * calls ML code only through it, with the modules' own types: no hand-copied module shapes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_POINT_NAMES, entryPoint } from '../../stages/entry-points.ts';
import { REPO } from '../runner/project.ts';

function cliSources(rel = path.join('src', 'cli')): string[] {
  return readdirSync(path.join(REPO, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? cliSources(path.join(rel, e.name)) : e.name.endsWith('.ts') ? [path.join(rel, e.name)] : [],
  );
}

describe('stages/entry-points.ts', () => {
  it('every entry point loads a module that exports functions or schemas', async () => {
    expect(ENTRY_POINT_NAMES.length).toBeGreaterThanOrEqual(10);
    for (const name of ENTRY_POINT_NAMES) {
      const mod = (await entryPoint(name)) as Record<string, unknown>;
      expect([name, Object.keys(mod).length > 0]).toEqual([name, true]);
    }
    const { evaluate, formatHeadMetrics } = await entryPoint('evaluate');
    expect([typeof evaluate, typeof formatHeadMetrics]).toEqual(['function', 'function']);
  });

  it('the CLI copies no ML module shape and loads no ML file by a path string', () => {
    const found = cliSources().flatMap((rel) => {
      const text = readFileSync(path.join(REPO, rel), 'utf8');
      return [
        ...text.matchAll(
          /interface (\w+Module)\b|lazyImport|'src\/(?:data|model|train|report|export|prune|engine|predict)\//g,
        ),
      ].map((m) => `${rel}: ${m[0]}`);
    });
    expect(found).toEqual([]);
  });
});
