/**
 * `mlc-pipe predict` through the real binary on the hand-computable fixture model of test/report:
 * without --out it prints one line per image; with --out it writes the file instead.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { SAMPLES, expectedProbs, writeDataset, writeModel } from '../report/fixture.ts';
import { cli } from '../runner/project.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-cli-predict-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'model'));
  await cp(join(dir, 'data', 'images', 's3.png'), join(dir, 'b.png'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

describe('mlc-pipe predict', () => {
  it('without --out prints the predictions (top-k per head, binary heads as p(positive)) on stdout', async () => {
    const r = await cli(['predict', '--model', 'model', '--top-k', '2', 'data/images/s0.png', 'b.png'], dir);
    expect(r.code, r.stderr).toBe(0);
    const [color, bright] = expectedProbs();
    const names = ['red', 'green', 'blue'];
    const line = (shown: string, n: number) => {
      const top = [0, 1, 2].sort((a, b) => color[n * 3 + b]! - color[n * 3 + a]!).slice(0, 2);
      return `${shown.padEnd('data/images/s0.png'.length)}  color: ${top.map((k) => `${names[k]} ${pct(color[n * 3 + k]!)}`).join(' · ')}  bright: bright ${pct(bright[n]!)}`;
    };
    expect(SAMPLES[0]![0]).toEqual([200, 20, 20]);
    expect(r.stdout.trimEnd().split('\n')).toEqual([line('data/images/s0.png', 0), line('b.png', 3)]);
    // By hand, sample 0: logits 10·[200,20,20]/255 differ by 7.06, e^-7.06 = 0.00086 → red 1/(1+2·0.00086) = 99.8%, green 0.1%.
    expect(r.stdout).toContain('data/images/s0.png  color: red 99.8% · green 0.1%');
  });

  it('with --out writes the file and prints no prediction lines', async () => {
    const r = await cli(['predict', '--model', 'model', '--out', 'preds.csv', 'b.png'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('color:');
    const csv = (await readFile(join(dir, 'preds.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]!.startsWith('b.png,')).toBe(true);
  });

  it('an unknown --engine is a usage error with a suggestion from the engine list', async () => {
    const r = await cli(['predict', '--model', 'model', '--engine', 'wsam', 'b.png'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ConfigError: unknown engine "wsam"; valid: auto, native, tensorflow, webgpu, wasm, cpu\n  hint: did you mean "wasm"?');
  });
});
