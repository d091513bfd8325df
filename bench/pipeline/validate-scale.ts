/**
 * Benchmark (issue 15): validating a 5 MB pipeline (56 000 vars, 20 shell stages) must take under 2 s.
 *
 *   flock /work/cpu.lock npx tsx bench/pipeline/validate-scale.ts [--vars 56000] [--repeat 5]
 *
 * Times, on the same generated file:
 * - `loadPipeline(file)` in this process (the first call, then the median of the rest);
 * - `mlc-pipe validate <file>` end to end (spawn to exit, the bundled CLI), median and min;
 * - `mlc-pipe validate` of a one-stage pipeline (the CLI's start-up alone);
 * - the peer: Python's PyYAML (libyaml's C loader, as DVC-era tools use) loading the same file
 *   (`/usr/bin/python3`, spawn to exit), and the ratio ours / peer.
 * Also checks that a duplicate key at the end of the big file is still reported at its line:col.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineValidationError } from '../../src/pipeline/diagnostics.ts';
import { loadPipeline } from '../../src/pipeline/load.ts';
import { bigPipeline } from '../../test/pipeline/big-pipeline.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin', 'mlc-pipe.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const VARS = arg('vars', 56_000);
const REPEAT = arg('repeat', 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

function wall(cmd: string, args: string[], expectOut?: RegExp): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const dt = performance.now() - t;
  if (r.status !== 0 || (expectOut && !expectOut.test(r.stdout)))
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return dt;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-validate-'));
try {
  const text = bigPipeline(VARS);
  const file = path.join(dir, 'big.yaml');
  writeFileSync(file, text);
  const small = path.join(dir, 'small.yaml');
  writeFileSync(small, 'stages:\n  a: { cmd: "echo hi > a.txt", outs: [a.txt] }\n');
  const dup = path.join(dir, 'dup.yaml');
  writeFileSync(dup, `${text}  s5: { cmd: "true", outs: [x.txt] }\n`);
  console.log(`pipeline: ${(text.length / 1e6).toFixed(2)} MB, ${VARS} vars, 20 stages`);

  const inProc: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    const p = await loadPipeline(file);
    inProc.push(performance.now() - t);
    if (p.stages.length !== 20) throw new Error('expected 20 stages');
  }
  console.log(`loadPipeline (in process): first ${ms(inProc[0]!)}, median of the rest ${ms(median(inProc.slice(1)))}`);

  const t0 = performance.now();
  const err = await loadPipeline(dup).catch((e: unknown) => e);
  const dupMs = performance.now() - t0;
  const d = err instanceof PipelineValidationError ? err.diagnostics[0] : undefined;
  console.log(
    `loadPipeline with a duplicate key at the end: ${ms(dupMs)}, reported as ${d ? `${d.line}:${d.col} ${d.message}` : String(err)}`,
  );

  wall(process.execPath, [CLI, 'validate', small]); // builds the CLI bundle if needed
  const startUp = Array.from({ length: REPEAT }, () => wall(process.execPath, [CLI, 'validate', small], /ok/));
  const cli = Array.from({ length: REPEAT }, () => wall(process.execPath, [CLI, 'validate', file], /ok \(20 stages\)/));
  console.log(`mlc-pipe validate big.yaml (spawn to exit): median ${ms(median(cli))}, min ${ms(Math.min(...cli))}`);
  console.log(`mlc-pipe validate small.yaml (start-up alone): median ${ms(median(startUp))}`);

  const py =
    'import sys, yaml\nd = yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)\nassert len(d["stages"]) == 20\n';
  const peer = Array.from({ length: REPEAT }, () => wall('/usr/bin/python3', ['-c', py, file]));
  console.log(`peer: python3 yaml.load(CSafeLoader) big.yaml (spawn to exit): median ${ms(median(peer))}`);
  console.log(`RATIO mlc-pipe validate / PyYAML load: ${(median(cli) / median(peer)).toFixed(2)}`);
  console.log(`target: mlc-pipe validate < 2000 ms: ${median(cli) < 2000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
