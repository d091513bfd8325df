/**
 * A gang on the bullmq executor with a real Redis and real `mlc-pipe worker` processes on loopback:
 * a stage whose gang is 2 runs as 2 jobs on 2 workers, rank 0's worker publishing the c10d store,
 * and 2 ranks trained that way give the same weights as 1 process at the same global batch
 * (test/train/distributed/tiny-rank.ts's tiny model without batch norm, as for local ranks).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { parseResult, REPO, STAGE_API, tempProject } from '../project.ts';
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
});
