/**
 * A gang on the bullmq executor with a real Redis and real `mlc-pipe worker` processes on loopback:
 * a stage whose gang is 2 runs as 2 jobs on 2 workers, rank 0's worker publishing the c10d store,
 * and 2 ranks trained that way give the same weights as 1 process at the same global batch
 * (test/train/distributed/tiny-rank.ts's tiny model without batch norm, as for local ranks); the
 * train stage itself with `distributed: { ranks: 2 }` trains the same model on 2 workers as with
 * its 2 ranks launched locally (per-rank batch norm both ways).
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { cli, parseResult, REPO, STAGE_API, tempProject } from '../project.ts';
import { makeDemoDataset } from '../../../src/data/demo/index.ts';
import { startRedis, type RedisServer } from '../redis-server.ts';
import { initialTinyWeights, trainTiny } from '../../train/distributed/tiny-rank.ts';
import { checkout, killStarted, queueArgs, startCli, startWorker } from './gang-workers.ts';

const TINY_RANK = fileURLToPath(new URL('../../train/distributed/tiny-rank.ts', import.meta.url));
const MEMBER = path.join(REPO, 'src', 'train', 'distributed', 'member.ts');

/** A stage whose gang is 2: each member joins the c10d group its worker placed it in and trains the tiny model. */
const GANG_STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'tiny-gang', version: '1', description: 'trains the tiny model as one rank of 2',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  resources: { cpu: 2 },
  gang: () => ({ size: 2, timeout: 300 }),
  async run(ctx) {
    if (!ctx.member) throw new Error('not placed as a gang member');
    const { joinGroup } = await import(${JSON.stringify(MEMBER)});
    const { trainTiny } = await import(${JSON.stringify(TINY_RANK)});
    const group = joinGroup(ctx.member, 120000);
    const weights = await trainTiny(group);
    group.barrier();
    group.shutdown();
    ctx.log('rank ' + ctx.member.rank + ' done');
    if (ctx.member.rank === 0) writeFileSync(ctx.out(ctx.params.out), JSON.stringify(weights));
  },
});
`;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await killStarted();
  await redis?.stop();
});

describe.skipIf(distUnavailable() !== undefined)('a gang on the bullmq executor', () => {
  it('2 workers forming one gang train the same weights as 1 process at the same global batch', async () => {
    const dir = tempProject({
      'gang.ts': GANG_STAGE,
      'p.yaml': 'stages:\n  tiny: { uses: ./gang.ts, with: { out: out/weights.json } }\n',
    });
    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const code = ['package.json', 'gang.ts', 'p.yaml'];
    const workers = [
      await startWorker(redis.url, checkout(dir, code), 'gang', ['--resources', 'cpu=1,gpu=0']),
      await startWorker(redis.url, checkout(dir, code), 'gang', ['--resources', 'cpu=1,gpu=0']),
    ];
    const run = await startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'gang', store)], dir);
    const r = parseResult(run.exitCode ?? -1, String(run.stdout), String(run.stderr));
    expect(r.code, r.stdout + r.stderr + workers.map((w) => w.out()).join('\n')).toBe(0);
    expect(r.ran).toEqual(['tiny']);
    // one member on each worker, rank 0 on one and rank 1 on the other
    const ranks = workers.map((w) => [...w.out().matchAll(/^◆ tiny: rank (\d) of 2, gang formed$/gm)].map((m) => m[1]));
    expect(ranks.flat().sort()).toEqual(['0', '1']);
    expect(ranks.map((x) => x.length)).toEqual([1, 1]);
    const log = readFileSync(path.join(dir, 'logs/p/tiny.log'), 'utf8');
    expect(log).toMatch(/# gang formed: rank 0 on worker \S+ \(127\.0\.0\.1\), rank 1 on worker \S+ \(127\.0\.0\.1\)/);
    expect(log).toMatch(/# gang formed: c10d store at 127\.0\.0\.1:\d+/);

    const gang = JSON.parse(readFileSync(path.join(dir, 'out/weights.json'), 'utf8')) as number[][];
    const single = await trainTiny();
    expect(gang.length).toBe(single.length);
    let worst = 0;
    gang.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - single[i]![j]!)))));
    expect(worst).toBeLessThan(1e-5);
    // and training moved the weights (the comparison is not between two untrained models)
    const initial = await initialTinyWeights();
    expect(Math.max(...initial.flatMap((w, i) => w.map((v, j) => Math.abs(v - single[i]![j]!))))).toBeGreaterThan(1e-2);
    for (const w of workers) w.proc.kill('SIGTERM');
  }, 600_000);
  it('the train stage with distributed: { ranks: 2 } trains the same model on 2 workers as with 2 local ranks', async () => {
    const pipeline = `stages:
  train:
    uses: train
    with: { train_labels: data/train.txt, val_labels: data/val.txt, classes: data/classes.json, width_multiplier: 0.0625,
            height: 16, width: 32, epochs: 2, batch_size: 8, engine: native, threads: 1, distributed: { ranks: 2 }, out: models/run }
`;
    const local = tempProject({ 'p.yaml': pipeline });
    await makeDemoDataset('plates', { out: path.join(local, 'data'), n: 24, seed: 3, valFraction: 0.25 });
    const gang = tempProject({ 'p.yaml': pipeline });
    cpSync(path.join(local, 'data'), path.join(gang, 'data'), { recursive: true });
    const here = await cli(['run', 'p.yaml'], local);
    expect(here.code, here.stdout + here.stderr).toBe(0);

    const store = mkdtempSync(path.join(os.tmpdir(), 'mlc-shared-'));
    const workers = [];
    for (let i = 0; i < 2; i++) {
      const wdir = checkout(gang, ['package.json', 'p.yaml']);
      cpSync(path.join(gang, 'data'), path.join(wdir, 'data'), { recursive: true }); // the images
      workers.push(await startWorker(redis.url, wdir, 'gangtrain', ['--resources', 'cpu=1,gpu=0']));
    }
    const run = await startCli(['run', 'p.yaml', ...queueArgs(redis.url, 'gangtrain', store)], gang);
    expect(run.exitCode, String(run.stdout) + String(run.stderr)).toBe(0);
    expect(workers.map((w) => /^◆ train: rank (\d) of 2/m.exec(w.out())?.[1]).sort()).toEqual(['0', '1']);
    const log = readFileSync(path.join(gang, 'logs/p/train.log'), 'utf8');
    expect(log).toMatch(/distributed: rank 0 of 2 × 1 thread, c10d Gloo on 127\.0\.0\.1, store 127\.0\.0\.1:\d+/);

    const weights = (dir: string) => {
      const b = readFileSync(path.join(dir, 'models/run/weights.bin'));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const [a, b] = [weights(local), weights(gang)];
    expect(b.length).toBe(a.length);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(JSON.parse(readFileSync(path.join(gang, 'models/run/config.json'), 'utf8')).epochs_done).toBe(2);
    for (const w of workers) w.proc.kill('SIGTERM');
  }, 900_000);
});
