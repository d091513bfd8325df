/**
 * Data-parallel benchmark (#23): the seed ResNet-18, Adam, one fixed global batch, in one run:
 *  - ours: 2 ranks × 1 thread (c10d Gloo through the addon) vs PyTorch DDP (gloo, 2 processes ×
 *    1 thread, bench/dist/ddp.py): the ratio of step times (> 1: ours is faster);
 *  - scaling: ours 2 ranks × 1 thread vs 1 rank × 1 thread at the same global batch, as a fraction
 *    of the ideal 2× (global img/s ratio / 2).
 *
 *   npx tsx bench/dist/dist.ts [--size 64] [--batch 16] [--steps 5] [--warmup 2] [--reference <torch_reference.py>]
 *
 * `--overlap-rounds N` instead compares ours 2 ranks with the gradient all-reduce overlapped with the
 * backward pass (the default) and after it, alternating N times, and prints the ratio and the load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchRanks } from '../../src/train/distributed/launch.ts';
import type { BenchPayload } from './rank.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'overlap-rounds': { type: 'string', default: '0' },
    // the shared reference beside /work/main (the engine bench's default) or beside a worktree in /work/wt
    reference: {
      type: 'string',
      default:
        [
          resolve(here, '../../../shared/reference/torch_reference.py'),
          resolve(here, '../../../../shared/reference/torch_reference.py'),
        ].find(existsSync) ?? '',
    },
  },
});
const payload: BenchPayload = {
  size: Number(args.size),
  batch: Number(args.batch),
  steps: Number(args.steps),
  warmup: Number(args.warmup),
};

async function ours(ranks: number, overlap = true): Promise<number> {
  return (await launchRanks({
    ranks,
    entry: resolve(here, 'rank.ts'),
    payload: { ...payload, overlap },
    timeoutMs: 600_000,
    log: () => {},
  })) as number;
}

function ddp(ranks: number): number {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      resolve(here, 'ddp.py'),
      '--reference',
      args.reference!,
      '--ranks',
      String(ranks),
      '--size',
      args.size!,
      '--batch',
      args.batch!,
      '--steps',
      args.steps!,
      '--warmup',
      args.warmup!,
    ],
    { encoding: 'utf8' },
  );
  return (JSON.parse(out.trim().split('\n').pop()!) as { step_ms: number }).step_ms;
}

const rounds = Number(args['overlap-rounds']);
if (rounds > 0) {
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      loads.push(loadavg()[0]!);
      times[mode].push(await ours(2, mode === 'on'));
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const [on, off] = [median(times.on), median(times.off)];
  console.log(
    `overlapped: ${times.on.map((t) => t.toFixed(0)).join(', ')} ms/step; after the tape: ${times.off.map((t) => t.toFixed(0)).join(', ')} ms/step`,
  );
  console.log(
    `ratio after / overlapped (median): ${(off / on).toFixed(3)}× (> 1: overlap is faster); load average ${loads.map((l) => l.toFixed(1)).join(', ')}`,
  );
  process.exit(0);
}

const shape = `ResNet-18 ${payload.size}×${payload.size}, global batch ${payload.batch}, median of ${payload.steps} steps after ${payload.warmup}`;
console.log(shape);
const ours2 = await ours(2);
const torch2 = ddp(2);
const ours1 = await ours(1);
console.log(
  `ours 2 ranks × 1 thread: ${ours2.toFixed(0)} ms/step (${((payload.batch * 1000) / ours2).toFixed(1)} img/s)`,
);
console.log(
  `PyTorch DDP gloo 2 × 1: ${torch2.toFixed(0)} ms/step (${((payload.batch * 1000) / torch2).toFixed(1)} img/s)`,
);
console.log(
  `ours 1 rank × 1 thread: ${ours1.toFixed(0)} ms/step (${((payload.batch * 1000) / ours1).toFixed(1)} img/s)`,
);
console.log(`ratio ours / DDP (img/s): ${(torch2 / ours2).toFixed(2)}×`);
console.log(
  `scaling 2 ranks vs 1 rank: ${(ours1 / ours2).toFixed(2)}× = ${((ours1 / ours2 / 2) * 100).toFixed(0)}% of ideal 2×`,
);
