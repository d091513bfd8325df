/**
 * Data-parallel benchmark (#23): the seed ResNet-18, Adam, one fixed global batch, in one run:
 *  - ours: 2 ranks × 1 thread (c10d Gloo through the addon) vs PyTorch DDP (gloo, 2 processes ×
 *    1 thread, bench/dist/ddp.py): the ratio of step times (> 1: ours is faster);
 *  - scaling: ours 2 ranks × 1 thread vs 1 rank × 1 thread at the same global batch, as a fraction
 *    of the ideal 2× (global img/s ratio / 2).
 *
 *   npx tsx bench/dist/dist.ts [--size 64] [--batch 16] [--steps 5] [--warmup 2] [--rounds 3] [--reference <torch_reference.py>]
 *
 * Each round runs the three (ours 2 ranks, DDP, ours 1 rank) in a rotated order; the ratios are per
 * round (both sides measured within seconds of each other) and their median is the result. Ours
 * uses the train stage's `distributed.overlap: auto` (src/train/distributed/options.ts): here, 2
 * ranks × 1 thread on a machine with fewer than 4 cores, the all-reduce runs after the backward pass.
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
import { resolveOverlap } from '../../src/train/distributed/options.ts';
import type { BenchPayload } from './rank.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
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

async function ours(ranks: number, overlap: boolean | 'auto' = 'auto'): Promise<number> {
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

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
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
  const [on, off] = [median(times.on), median(times.off)];
  console.log(
    `overlapped: ${times.on.map((t) => t.toFixed(0)).join(', ')} ms/step; after the tape: ${times.off.map((t) => t.toFixed(0)).join(', ')} ms/step`,
  );
  console.log(
    `ratio after / overlapped (median): ${(off / on).toFixed(3)}× (> 1: overlap is faster); load average ${loads.map((l) => l.toFixed(1)).join(', ')}`,
  );
  process.exit(0);
}

const { why } = resolveOverlap('auto', 2, 1);
console.log(
  `ResNet-18 ${payload.size}×${payload.size}, global batch ${payload.batch}, median of ${payload.steps} steps after ${payload.warmup}; ours: ${why}`,
);
const runs = { ours2: [] as number[], torch2: [] as number[], ours1: [] as number[] };
const arms: [keyof typeof runs, () => Promise<number> | number][] = [
  ['ours2', () => ours(2)],
  ['torch2', () => ddp(2)],
  ['ours1', () => ours(1)],
];
const img = (ms: number) => ((payload.batch * 1000) / ms).toFixed(1);
for (let r = 0; r < Number(args.rounds); r++) {
  const load = loadavg()[0]!;
  for (let k = 0; k < arms.length; k++) {
    const [name, run] = arms[(r + k) % arms.length]!;
    runs[name].push(await run());
  }
  const [o2, t2, o1] = [runs.ours2[r]!, runs.torch2[r]!, runs.ours1[r]!];
  console.log(
    `round ${r + 1} (load ${load.toFixed(1)}): ours 2 × 1 ${o2.toFixed(0)} ms/step (${img(o2)} img/s), DDP 2 × 1 ${t2.toFixed(0)} ms (${img(t2)}), ours 1 × 1 ${o1.toFixed(0)} ms (${img(o1)}); ours / DDP ${(t2 / o2).toFixed(2)}×, scaling ${((o1 / o2 / 2) * 100).toFixed(0)}% of ideal`,
  );
}
const ratios = runs.ours2.map((o, r) => runs.torch2[r]! / o);
const scaling = runs.ours2.map((o, r) => runs.ours1[r]! / o / 2);
console.log(
  `ratio ours / DDP (img/s): ${median(ratios).toFixed(2)}× median of ${ratios.map((x) => x.toFixed(2)).join(', ')}`,
);
console.log(
  `scaling 2 ranks vs 1 rank: ${(median(scaling) * 100).toFixed(0)}% of ideal 2× (median of ${scaling.map((x) => (x * 100).toFixed(0)).join(', ')} %)`,
);
