/**
 * Mixed-precision benchmark (issue #22): ResNet-18 training and fused inference on the native
 * engine in bf16 against (a) PyTorch's best CPU recipe, autocast bf16 + channels_last
 * (`torch_reference.py speed --amp bf16 --channels-last`), and (b) our own fp32, at each size and
 * thread count, alternating all three each round (best round kept). Targets: ≥ 1.0× PyTorch's
 * recipe in every cell, ≥ 2.5× our fp32 training.
 *
 *   npx tsx bench/engine/precision.ts [--sizes 64x64x16,48x144x32] [--threads 1,2] [--steps 5]
 *        [--warmup 2] [--rounds 2] [--torch-script shared/reference/torch_reference.py] [--force]
 *        [--out bench/out/precision.json]
 *   npx tsx bench/engine/precision.ts --isa [--precision bf16|fp32] [--sizes 64x64x16]
 *       one training step and one fused inference under DNNL_VERBOSE=1, summarised: which oneDNN
 *       implementation ran each conv/matmul/reorder, in which data type (e.g. `jit:avx512_core_amx`
 *       vs `jit_bf16:avx512_core` emulation vs `ref`/`gemm` fallbacks), and how many reorders a step.
 *
 * Only a CPU with bf16 units (amx_bf16 or avx512_bf16 in /proc/cpuinfo) can show the speed-up:
 * elsewhere oneDNN runs bf16 by emulation, slower than fp32, so the timing part says so and skips
 * (--force times it anyway; --isa always runs).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine, shutdownEngine } from '../../src/engine/index.ts';
import { setNativePrecision } from '../../src/engine/start/backends/native.ts';
import { cpuBf16Units } from '../../src/engine/precision.ts';
import { bestOf, measureResnet18, parseSizes, torchReferenceSpeed, type Speed } from './measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64x64x16,48x144x32' },
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    'torch-script': { type: 'string', default: resolve(here, '../../../shared/reference/torch_reference.py') },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string', default: resolve(here, '../out/precision.json') },
    force: { type: 'boolean', default: false },
    isa: { type: 'boolean', default: false },
    'isa-child': { type: 'boolean', default: false },
    precision: { type: 'string', default: 'bf16' },
  },
});
const sizes = parseSizes(args.sizes!);
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const precision = args.precision === 'fp32' ? 'fp32' : 'bf16';

/** The child of --isa: one warm-up step, one training step and one fused inference, threads 1. */
async function isaChild(): Promise<void> {
  await initEngine({ engine: 'native', threads: 1, precision });
  const s = sizes[0]!;
  console.log('--- step');
  measureResnet18(s.h, s.w, s.b, { steps: 1, warmup: 1, optimizer: 'fused' });
  shutdownEngine();
}

/** Runs --isa-child under DNNL_VERBOSE=1 and tallies oneDNN's exec lines by primitive, implementation and types. */
function isaSummary(): void {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--isa-child',
      '--precision',
      precision,
      '--sizes',
      args.sizes!,
    ],
    { encoding: 'utf8', env: { ...process.env, DNNL_VERBOSE: '1' }, maxBuffer: 256 << 20 },
  );
  const lines = `${r.stdout}`.split('\n');
  const isa = lines.find((l) => /verbose,info,cpu,isa:/.test(l))?.split('isa:')[1] ?? '(no oneDNN info line)';
  const counts = new Map<string, number>();
  for (const l of lines.filter((x) => /^(onednn|dnnl)_verbose,exec,cpu,/.test(x))) {
    const f = l.split(',');
    const types = [
      ...new Set(
        (f[6] ?? '')
          .split(' ')
          .map((md) => md.split(':')[0]!.split('_').pop())
          .filter((t) => t && t !== 'undef'),
      ),
    ].join('/');
    const key = `${f[3]!.padEnd(14)} ${f[4]!.padEnd(26)} ${(f[5] ?? '').padEnd(17)} ${types}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(
    `oneDNN isa: ${isa}\nprecision ${precision}, ${sizes[0]!.label}, 1 thread: warm-up step + 1 training step + fused inference (x2 passes) + model.predict`,
  );
  console.log(
    `${'count'.padStart(6)}  ${'primitive'.padEnd(14)} ${'implementation'.padEnd(26)} ${'kind'.padEnd(17)} types`,
  );
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${k}`);
  if (r.status !== 0) console.log(`child exited ${r.status}: ${r.stderr.split('\n').slice(-5).join('\n')}`);
}

const fmt = (v?: number) => (v == null ? '-' : v.toFixed(1));
const ratio = (a?: number, b?: number) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);

interface Row {
  threads: number;
  size: string;
  fp32?: Speed;
  bf16?: Speed;
  torch?: Speed;
}

async function timing(): Promise<void> {
  const units = cpuBf16Units();
  if (!units.amx && !units.avx512bf16 && !args.force) {
    const why =
      'this CPU has no bf16 units (neither amx_bf16 nor avx512_bf16 in /proc/cpuinfo): oneDNN would run bf16 by emulation, slower than fp32, so the targets (>= 1.0x PyTorch autocast bf16 + channels_last, >= 2.5x our fp32) cannot be measured here; skipped (--force times it anyway, --isa shows what runs)';
    console.log(why);
    mkdirSync(dirname(args.out!), { recursive: true });
    writeFileSync(args.out!, JSON.stringify({ date: new Date().toISOString(), skipped: why }, null, 2));
    return;
  }
  const rows: Row[] = [];
  for (const threads of args.threads!.split(',').map((t) => (t === 'all' ? availableParallelism() : Number(t)))) {
    const info = await initEngine({ engine: 'native', threads, precision: 'fp32' });
    console.log(
      `native (${threads} thread${threads > 1 ? 's' : ''}): ${info.notes.join('; ')}; CPU bf16 units: ${JSON.stringify(units)}`,
    );
    for (const s of sizes) {
      const row: Row = { threads, size: s.label };
      for (let r = 0; r < Number(args.rounds); r++) {
        row.torch = bestOf(
          row.torch,
          torchReferenceSpeed({
            python: args.python!,
            script: args['torch-script']!,
            h: s.h,
            w: s.w,
            b: s.b,
            threads,
            steps,
            amp: true,
            channelsLast: true,
          }),
        );
        for (const p of ['bf16', 'fp32'] as const) {
          setNativePrecision(p);
          row[p] = bestOf(row[p], measureResnet18(s.h, s.w, s.b, { steps, warmup, optimizer: 'fused' }));
        }
      }
      setNativePrecision('fp32');
      rows.push(row);
      console.log(
        `  ${s.label}: bf16 train ${fmt(row.bf16?.train)} fused ${fmt(row.bf16?.fused)} | fp32 train ${fmt(row.fp32?.train)} fused ${fmt(row.fp32?.fused)} | torch bf16+CL train ${fmt(row.torch?.train)} infer ${fmt(row.torch?.infer)} img/s`,
      );
    }
  }
  shutdownEngine();
  console.log('\nthr  size          bf16/torch train  bf16/torch fused infer  bf16/fp32 train  bf16/fp32 fused infer');
  for (const r of rows) {
    console.log(
      [
        String(r.threads).padStart(3),
        r.size.padEnd(13),
        ratio(r.bf16?.train, r.torch?.train).padStart(16),
        ratio(r.bf16?.fused, r.torch?.infer).padStart(23),
        ratio(r.bf16?.train, r.fp32?.train).padStart(16),
        ratio(r.bf16?.fused, r.fp32?.fused).padStart(22),
      ].join('  '),
    );
  }
  mkdirSync(dirname(args.out!), { recursive: true });
  writeFileSync(
    args.out!,
    JSON.stringify(
      { date: new Date().toISOString(), steps, warmup, rounds: Number(args.rounds), units, rows },
      null,
      2,
    ),
  );
  console.log(`\nwritten ${args.out}`);
}

if (args['isa-child']) await isaChild();
else if (args.isa) isaSummary();
else await timing();
