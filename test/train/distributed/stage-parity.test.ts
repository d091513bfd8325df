/**
 * The "done when", as a user runs it: `mlc-pipe run` of a pipeline whose train stage says
 * `distributed: { ranks: 2, sync_bn: true }` trains the same model as the same stage in one process
 * (ResNet-18 with batch norm, on the plates demo whose labels include unknowns, -1; an uneven last
 * batch), weights within float tolerance; with per-rank batch norm (`sync_bn: false`, PyTorch DDP's
 * default) the same run ends measurably elsewhere, so the comparison can tell the two apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../../src/index.ts';
import { makeDemoDataset } from '../../../src/data/demo/index.ts';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { tempProject } from '../../runner/project.ts';
import { tinyTrainStage } from './tiny-train.ts';

const stage = (out: string, distributed?: string) =>
  tinyTrainStage(out, {
    epochs: 2,
    batch_size: 10,
    seed: 3,
    out: `models/${out}`,
    ...(distributed ? { distributed } : {}),
  });

describe.skipIf(distUnavailable() !== undefined)('a distributed train stage against one process', () => {
  it('ranks: 2 with sync_bn trains the weights of one process; per-rank batch norm does not', async () => {
    const dir = tempProject({
      'p.yaml': `stages:\n${stage('one')}${stage('sync', '{ ranks: 2, sync_bn: true }')}${stage('perrank', '{ ranks: 2 }')}`,
    });
    // 36 training images at batch 10: 4 batches per epoch, the last of 6 (3 rows per rank)
    await makeDemoDataset('plates', { out: path.join(dir, 'data'), n: 72, seed: 5, valFraction: 0.25 });
    const labels = readFileSync(path.join(dir, 'data/train.txt'), 'utf8');
    expect(labels.split('\n').filter(Boolean).length).toBe(36);
    expect(labels).toMatch(/ -1\b/); // unknown labels, which the shards weigh as one process would
    const run = await runPipeline(path.join(dir, 'p.yaml'), { jobs: 1 });
    expect(run.failed).toEqual([]);
    const weights = (m: string) => {
      const b = readFileSync(path.join(dir, `models/${m}/weights.bin`));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const maxDiff = (a: Float32Array, b: Float32Array) => {
      expect(a.length).toBe(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      return worst;
    };
    const [one, sync, perRank] = [weights('one'), weights('sync'), weights('perrank')];
    expect(maxDiff(one, sync)).toBeLessThan(1e-4);
    expect(maxDiff(one, perRank)).toBeGreaterThan(1e-3);
    const log = readFileSync(path.join(run.logDir, 'sync.log'), 'utf8');
    expect(log).toContain('distributed: 2 ranks × 1 thread');
  }, 600_000);
});
