/**
 * The quickstart's wall time on each engine, in one run: `mlc-pipe run pipelines/quickstart.yaml
 * --force` with `engine: native` and `engine: wasm` forced on every stage that takes one
 * (MLC_PIPE_NATIVE=off hides the addon, so `auto` becomes wasm), alternating `--rounds` times;
 * prints the best wall time of each, the train stage's line of the plain view, and the ratio.
 *
 *   npx tsx bench/engine/quickstart.ts [--rounds 1] [--engines native,wasm]
 */
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '1' }, engines: { type: 'string', default: 'native,wasm' } },
});

const best = new Map<string, number>();
for (let r = 0; r < Number(args.rounds); r++) {
  for (const engine of args.engines!.split(',')) {
    const env = { ...process.env, ...(engine === 'wasm' ? { MLC_PIPE_NATIVE: 'off' } : {}) };
    const t0 = performance.now();
    const out = execFileSync(
      process.execPath,
      [resolve(root, 'bin/mlc-pipe.js'), 'run', 'pipelines/quickstart.yaml', '--force', '--plain'],
      { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 },
    );
    const s = (performance.now() - t0) / 1000;
    best.set(engine, Math.min(best.get(engine) ?? Infinity, s));
    const trainLine =
      out
        .split('\n')
        .find((l) => /\btrain\b/.test(l) && /\d+(\.\d+)?\s*s\b/.test(l))
        ?.trim() ?? '';
    console.log(`round ${r + 1} ${engine}: ${s.toFixed(1)} s  ${trainLine}`);
  }
}
const [a, b] = args.engines!.split(',');
for (const [engine, s] of best) console.log(`${engine.padEnd(8)} ${s.toFixed(1)} s`);
if (a && b && best.has(a) && best.has(b))
  console.log(`${a} is ${(best.get(b)! / best.get(a)!).toFixed(2)}x faster than ${b} (whole quickstart, wall time)`);
