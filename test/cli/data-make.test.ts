/**
 * `mlc-pipe data make` through the real binary: the make-dataset stage's entry point, its options
 * checked against the stage's schema (a typo'd name gets a did-you-mean from DEMO_NAMES), the folder
 * written in a temp folder and replaced only with --force.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_NAMES } from '../../src/data/demo/options.ts';
import { readLabelFile } from '../../src/data/labels.ts';
import { cli, tempProject } from '../runner/project.ts';

describe('mlc-pipe data make', () => {
  it('writes the dataset; a bad name or value is one error naming the argument; an existing folder needs --force', async () => {
    const dir = tempProject({});
    const typo = await cli(['data', 'make', 'platse', '--out', 'd'], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      `ConfigError: <name>: expected one of ${DEMO_NAMES.map((n) => `"${n}"`).join(', ')}, received "platse"\n  hint: did you mean "plates"?`,
    );
    const frac = await cli(['data', 'make', 'plates', '--out', 'd', '--val-fraction', '0.7'], dir);
    expect(frac.stderr).toContain('ConfigError: --val-fraction: must be <= 0.49, received 0.7');
    expect(existsSync(path.join(dir, 'd'))).toBe(false);

    const ok = await cli(['data', 'make', 'plates', '--out', 'd', '--n', '20', '--seed', '3'], dir);
    expect(ok.code, ok.stderr).toBe(0);
    const counts = ['train', 'val', 'test'].map(
      (s) =>
        readFileSync(path.join(dir, 'd', `${s}.txt`), 'utf8')
          .trim()
          .split('\n').length,
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(ok.stdout).toContain(`plates: train ${counts[0]}, val ${counts[1]}, test ${counts[2]} images in d`);
    expect((await readLabelFile(path.join(dir, 'd', 'train.txt'), 5))[0]!.path).toMatch(/^images\//); // paths relative to the folder, not the temp one
    expect(readdirSync(dir).sort()).toEqual(['d', 'package.json']);

    const again = await cli(['data', 'make', 'plates', '--out', 'd', '--n', '20'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('ConfigError: d exists (a pipeline stage may own it)');
    expect((await cli(['data', 'make', 'plates', '--out', 'd', '--n', '20', '--force'], dir)).code).toBe(0);
  });
});
