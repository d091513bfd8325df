/**
 * A data-parallel train stage through the runner (`mlc-pipe run`'s runPipeline, real rank
 * processes on loopback): SIGKILL of either rank mid-run (rank 1; rank 0, which serves the c10d
 * store and writes the checkpoints, with sync_bn on) fails the stage naming the rank and host,
 * records nothing in the lock, and a rerun with `resume: auto` continues from the last checkpoint
 * to the same end as the straight run would (epochs_done, lock entry with the keyed params).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLock, runPipeline } from '../../../src/index.ts';
import { makeDemoDataset } from '../../../src/data/demo/index.ts';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { tempProject } from '../../runner/project.ts';
import { descendants } from '../../processes.ts';
import { tinyTrainStage } from './tiny-train.ts';

/** The train-rank processes descending from this test process, in pid order (rank 0 first: forked first). */
const rankPids = () => descendants(process.pid, 'train-rank.js').sort((a, b) => a - b);

const EPOCHS = 8;
const pipeline = (syncBn: boolean) =>
  `stages:\n${tinyTrainStage('train', {
    epochs: EPOCHS,
    batch_size: 8,
    checkpoint_dir: 'ckpt/train',
    resume: 'auto',
    distributed: `{ ranks: 2, sync_bn: ${syncBn}, timeout_s: 15 }`,
    out: 'models/run',
  })}`;

describe.skipIf(distUnavailable() !== undefined)('a distributed train stage under the runner', () => {
  for (const { rank, syncBn } of [
    { rank: 1, syncBn: false },
    { rank: 0, syncBn: true },
  ])
    it(`SIGKILL of rank ${rank} (sync_bn ${syncBn}) fails the stage naming rank and host, nothing is recorded, and resume: auto continues`, async () => {
      const dir = tempProject({ 'p.yaml': pipeline(syncBn) });
      await makeDemoDataset('plates', { out: path.join(dir, 'data'), n: 32, seed: 2, valFraction: 0.25 });
      const file = path.join(dir, 'p.yaml');
      const last = path.join(dir, 'ckpt/train/last/state.json');
      let settled = false;
      const running = runPipeline(file, { jobs: 2 }).finally(() => (settled = true));
      let killed = 0;
      while (!killed && !settled) {
        await new Promise((r) => setTimeout(r, 100));
        const pids = rankPids();
        if (pids.length === 2 && existsSync(last)) {
          process.kill(pids[rank]!, 'SIGKILL');
          killed = pids[rank]!;
        }
      }
      const failed = await running;
      expect(killed).toBeGreaterThan(0);
      expect(failed.failed).toEqual(['train']);
      const message = String((failed.errors.get('train') as Error).message);
      expect(message).toContain(`rank ${rank} on host ${hostname()} (127.0.0.1) was killed by SIGKILL`);
      expect(readLock(failed.lockFile).stages.train).toBeUndefined();
      const epochsBefore = (JSON.parse(readFileSync(last, 'utf8')) as { epoch: number }).epoch;
      expect(epochsBefore).toBeLessThan(EPOCHS); // killed mid-run, not after it

      const rerun = await runPipeline(file, { jobs: 2 });
      expect(rerun.failed).toEqual([]);
      const log = readFileSync(path.join(rerun.logDir, 'train.log'), 'utf8');
      expect(log).toContain(`resuming from ${path.join(dir, 'ckpt/train/last')}`);
      expect(log).toContain('distributed: 2 ranks × 1 thread');
      const config = JSON.parse(readFileSync(path.join(dir, 'models/run/config.json'), 'utf8'));
      expect(config.epochs_done).toBe(EPOCHS);
      // the lock keys ranks (they change numerics) but not timeout_s (cache-neutral)
      expect(readLock(rerun.lockFile).stages.train!.params.distributed).toEqual({ ranks: 2, sync_bn: syncBn });
    }, 600_000);
});
