/**
 * Engine benchmark (issue 4): the seed ResNet-18 (./resnet18.ts) trained with Adam and run for
 * inference on each requested engine, and the PyTorch peer (shared/reference/torch_reference.py
 * speed) at the same size, batch and thread count, in one run; prints img/s and ratios.
 *
 *   npx tsx bench/engine/engine.ts [--engines native,wasm,webgpu,tensorflow] [--sizes 64x64x16,48x144x32]
 *        [--steps 5] [--warmup 2] [--threads 1,all] [--rounds 2] [--torch auto|off] [--out bench/out/engine.json]
 *        [--optimizer fused|tfjs]   (train step's Adam: fused kernel (default) or tf.train.adam)
 *        [--profile]   (native: the per-kernel profile of one training step at each size)
 *   --threads takes a list; `all` = every core. Each engine and PyTorch run at each thread count.
 *   Inference is timed twice: model.predict and compileInference (src/model/inference/compile.ts).
 *   npx tsx bench/engine/engine.ts --verify webgpu [--reference cpu.json]
 *       correctness vs cpu on ResNet-18 64x64 b4 (logits, two Adam steps), then exit; with
 *       `--verify cpu --reference cpu.json` the cpu trace is only computed and saved.
 *
 * Timings are wall clock over `steps` steps after `warmup` steps (each step ends by reading the
 * loss, so queued GPU work is included). Each size is measured `rounds` times, alternating the
 * engine and PyTorch, and the best round of each is kept, so that a burst of load from other
 * processes on a shared machine hits both sides alike. Only ratios from one run mean anything.
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, shutdownEngine, tf, type EngineName } from '../../src/engine/index.ts';
import { headsLoss, resnet18 } from './resnet18.ts';
import { bestOf, measureResnet18, parseSizes, torchReferenceSpeed, type Speed } from './measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'native,wasm' },
    sizes: { type: 'string', default: '64x64x16,48x144x32' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    torch: { type: 'string', default: 'auto' },
    'torch-script': { type: 'string', default: resolve(here, '../../../shared/reference/torch_reference.py') },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string', default: resolve(here, '../out/engine.json') },
    verify: { type: 'string' },
    reference: { type: 'string' },
    optimizer: { type: 'string', default: 'fused' },
    profile: { type: 'boolean', default: false },
  },
});

interface Row {
  engine: string;
  threads: number;
  size: string;
  speed?: Speed;
  error?: string;
  torch?: Speed;
}

const steps = Number(args.steps);
const warmup = Number(args.warmup);
const threadCounts = args.threads!.split(',').map((t) => (t === 'all' ? availableParallelism() : Number(t)));
let threads = threadCounts[0]!;
const sizes = parseSizes(args.sizes!);
const measure = (h: number, w: number, b: number) =>
  measureResnet18(h, w, b, {
    steps,
    warmup,
    optimizer: args.optimizer === 'tfjs' ? 'tfjs' : 'fused',
    profile: args.profile,
  });

/**
 * Logits of a fixed batch and the losses of two Adam steps, for the same seeded ResNet-18.
 * 64×64 batch 4 keeps ≥ 16 values per channel in the last batch norms: at 32×32 batch 2 they
 * normalise 2 values and the gradients are cancellation noise (≈1e3, backend-dependent).
 */
function trace(): { logits: Float32Array; losses: number[] } {
  const model = resnet18({ height: 64, width: 64, heads: [1, 3], seed: 7 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([4, 64, 64, 3], 0, 1, 'float32', 11);
  const y = tf.tensor2d([
    [1, 2],
    [0, 0],
    [1, 1],
    [0, 2],
  ]);
  try {
    const logits = tf.tidy(
      () => tf.concat((model.predict(x) as tf.Tensor[]).map((t) => t.flatten())).dataSync() as Float32Array,
    );
    const losses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const loss = optimizer.minimize(
        () => headsLoss(model.apply(x, { training: true }) as tf.Tensor[], y, [1, 3]),
        true,
      )!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    return { logits, losses };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}

if (args.verify) {
  // The cpu trace takes minutes: `--verify cpu --reference F` writes it once, `--verify E --reference F` reuses it.
  let want: { logits: Float32Array; losses: number[] };
  if (args.reference && existsSync(args.reference) && args.verify !== 'cpu') {
    const saved = JSON.parse(readFileSync(args.reference, 'utf8')) as { logits: number[]; losses: number[] };
    want = { logits: Float32Array.from(saved.logits), losses: saved.losses };
  } else {
    await initEngine({ engine: 'cpu' });
    want = trace();
    if (args.reference)
      writeFileSync(args.reference, JSON.stringify({ logits: [...want.logits], losses: want.losses }));
    if (args.verify === 'cpu') process.exit(0);
  }
  const info = await initEngine({ engine: args.verify as EngineName, threads });
  console.log(`${args.verify}: ${info.notes.join('; ')}`);
  const got = trace();
  const scale = Math.max(...want.logits.map(Math.abs), 1e-6);
  const logitErr = Math.max(...want.logits.map((v, i) => Math.abs(v - got.logits[i]))) / scale;
  const lossErr = Math.max(...want.losses.map((v, i) => Math.abs(v - got.losses[i]) / Math.max(Math.abs(v), 1e-6)));
  console.log(
    `cpu losses ${want.losses.map((v) => v.toFixed(5)).join(', ')}; ${args.verify} ${got.losses.map((v) => v.toFixed(5)).join(', ')}`,
  );
  console.log(
    `max logit error ${logitErr.toExponential(2)} (relative to max |logit|), max loss error ${lossErr.toExponential(2)}`,
  );
  shutdownEngine();
  const ok = logitErr < 1e-2 && lossErr < 1e-2;
  console.log(ok ? 'VERIFY OK' : 'VERIFY MISMATCH');
  process.exit(ok ? 0 : 1);
}

function torchAvailable(): boolean {
  if (args.torch === 'off' || !existsSync(args['torch-script']!)) return false;
  try {
    execFileSync(args.python!, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const torchSpeed = (h: number, w: number, b: number) =>
  torchReferenceSpeed({ python: args.python!, script: args['torch-script']!, h, w, b, threads, steps });

const fmt = (v?: number) => (v == null ? '-' : v.toFixed(1));
const ratio = (a?: number, b?: number) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);

const rounds = Number(args.rounds);
const best = bestOf;

const rows: Row[] = [];
const withTorch = torchAvailable();
for (const count of threadCounts) {
  threads = count;
  const torchBySize = new Map<string, Speed>();
  for (const engine of args.engines!.split(',') as EngineName[]) {
    let info;
    try {
      info = await initEngine({ engine, threads });
    } catch (err) {
      for (const s of sizes) rows.push({ engine, threads, size: s.label, error: (err as Error).message });
      console.log(`${engine}: unavailable: ${(err as Error).message}`);
      continue;
    }
    console.log(`${engine} (${threads} thread${threads > 1 ? 's' : ''}): ${info.notes.join('; ')}`);
    for (const s of sizes) {
      let speed: Speed | undefined;
      try {
        for (let r = 0; r < rounds; r++) {
          if (withTorch) torchBySize.set(s.label, best(torchBySize.get(s.label), torchSpeed(s.h, s.w, s.b)));
          speed = best(speed, measure(s.h, s.w, s.b));
        }
        rows.push({ engine, threads, size: s.label, speed, torch: torchBySize.get(s.label) });
      } catch (err) {
        rows.push({ engine, threads, size: s.label, error: (err as Error).message });
      }
      const r = rows[rows.length - 1]!;
      console.log(
        `  ${s.label}: train ${fmt(r.speed?.train)} img/s, infer ${fmt(r.speed?.infer)} img/s, fused infer ${fmt(r.speed?.fused)} img/s` +
          (r.torch
            ? ` | torch train ${fmt(r.torch.train)}, infer ${fmt(r.torch.infer)} | ratio train ` +
              `${ratio(r.speed?.train, r.torch.train)}, infer ${ratio(r.speed?.infer, r.torch.infer)}, fused infer ${ratio(r.speed?.fused, r.torch.infer)}`
            : '') +
          (r.error ? ` | error: ${r.error}` : ''),
      );
    }
  }
}
shutdownEngine();

console.log(
  '\nengine      thr  size          train img/s  infer img/s  fused infer  torch train  torch infer  train ratio  infer ratio  fused ratio',
);
for (const r of rows) {
  console.log(
    [
      r.engine.padEnd(11),
      String(r.threads).padStart(3),
      r.size.padEnd(13),
      fmt(r.speed?.train).padStart(11),
      fmt(r.speed?.infer).padStart(12),
      fmt(r.speed?.fused).padStart(12),
      fmt(r.torch?.train).padStart(12),
      fmt(r.torch?.infer).padStart(12),
      ratio(r.speed?.train, r.torch?.train).padStart(12),
      ratio(r.speed?.infer, r.torch?.infer).padStart(12),
      ratio(r.speed?.fused, r.torch?.infer).padStart(12),
    ].join(' '),
  );
}
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(
  args.out!,
  JSON.stringify(
    { date: new Date().toISOString(), steps, warmup, threads: threadCounts, rounds, optimizer: args.optimizer, rows },
    null,
    2,
  ),
);
console.log(`\nwritten ${args.out}`);
