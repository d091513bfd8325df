/**
 * Benchmark: an all-cached no-op `mlc-pipe run` of a 7-stage pipeline whose first stage reads
 * 10,000 files, against `snakemake -n` on an equivalent Snakefile over the same files.
 *
 *   npx tsx bench/runner/noop.ts [--files 10000] [--repeat 7]
 *
 * Both are timed as process wall time (spawn to exit), after a first real run and one warm-up
 * no-op run; prints each median and min and the ratio. Target: mlc-pipe median < 0.5 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin', 'mlc-pipe.js');
const STAGE_API = path.join(REPO, 'src', 'stage', 'index.ts');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const FILES = arg('files', 10_000);
const REPEAT = arg('repeat', 7);
const dir = path.join(os.tmpdir(), `mlc-bench-noop-${FILES}`);

function setup(): void {
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(dir, 'raw', String(i % 100).padStart(2, '0'));
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `${i}.txt`), `file ${i}\n`);
  }
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    path.join(dir, 'list.ts'),
    `import { readdirSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'list', version: '1', description: 'counts files',
  params: Type.Object({ src: Type.String({ description: 'Folder.' }), out: Type.String({ description: 'Output.' }) }),
  inputs: (p) => [p.src], outputs: (p) => [p.out],
  async run(ctx) {
    const n = readdirSync(ctx.path(ctx.params.src), { recursive: true }).length;
    writeFileSync(ctx.out(ctx.params.out), String(n) + '\\n');
  },
});
`,
  );
  writeFileSync(
    path.join(dir, 'concat.ts'),
    `import { readFileSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'concat', version: '1', description: 'concatenates',
  params: Type.Object({ srcs: Type.Array(Type.String(), { description: 'Files.' }), out: Type.String({ description: 'Output.' }) }),
  inputs: (p) => p.srcs, outputs: (p) => [p.out],
  async run(ctx) {
    writeFileSync(ctx.out(ctx.params.out), ctx.params.srcs.map((s) => readFileSync(ctx.path(s), 'utf8')).join(''));
  },
});
`,
  );
  writeFileSync(
    path.join(dir, 'p.yaml'),
    `stages:
  list: { uses: ./list.ts, with: { src: raw, out: out/list.txt } }
  a: { cmd: [cp, out/list.txt, out/a.txt], deps: [out/list.txt], outs: [out/a.txt] }
  b: { uses: ./concat.ts, with: { srcs: [out/a.txt], out: out/b.txt } }
  c: { cmd: [cp, out/list.txt, out/c.txt], deps: [out/list.txt], outs: [out/c.txt] }
  d: { uses: ./concat.ts, with: { srcs: [out/b.txt, out/c.txt], out: out/d.txt } }
  e: { cmd: [cp, out/d.txt, out/e.txt], deps: [out/d.txt], outs: [out/e.txt] }
  f: { uses: ./concat.ts, with: { srcs: [out/e.txt], out: out/f.txt } }
`,
  );
  // The same DAG for snakemake, over the same 10,000 files, outputs in smk/.
  writeFileSync(
    path.join(dir, 'Snakefile'),
    `RAW = sorted(glob_wildcards("raw/{sub}/{name}.txt", followlinks=False)._asdict().items()) and expand("raw/{sub}/{name}.txt", zip, **glob_wildcards("raw/{sub}/{name}.txt")._asdict())

rule all:
    input: "smk/f.txt"

rule list:
    input: RAW
    output: "smk/list.txt"
    shell: "ls -R raw | wc -l > {output}"

rule a:
    input: "smk/list.txt"
    output: "smk/a.txt"
    shell: "cp {input} {output}"

rule b:
    input: "smk/a.txt"
    output: "smk/b.txt"
    shell: "cat {input} > {output}"

rule c:
    input: "smk/list.txt"
    output: "smk/c.txt"
    shell: "cp {input} {output}"

rule d:
    input: "smk/b.txt", "smk/c.txt"
    output: "smk/d.txt"
    shell: "cat {input} > {output}"

rule e:
    input: "smk/d.txt"
    output: "smk/e.txt"
    shell: "cp {input} {output}"

rule f:
    input: "smk/e.txt"
    output: "smk/f.txt"
    shell: "cat {input} > {output}"
`,
  );
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

/** Wall ms of the process, and its user+sys CPU ms when /usr/bin/time exists (less sensitive to machine load). */
function timeIt(cmd: string, args: string[]): { wall: number; cpu: number } {
  const [c, a] = haveTime ? [TIME, ['-f', 'MLC_CPU %U %S', cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(c, a, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /MLC_CPU ([\d.]+) ([\d.]+)/.exec(String(r.stderr));
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

function stats(xs: number[]): { median: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]! };
}

setup();
console.log(
  `bench/runner/noop: ${FILES} input files, 7 stages, ${REPEAT} timed runs each, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`,
);
execFileSync('node', [CLI, 'run', 'p.yaml'], { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: '1' } });
await new Promise((r) => setTimeout(r, 2100)); // past the stat index's racy window: the files are now "old"
const out = execFileSync('node', [CLI, 'run', 'p.yaml'], {
  cwd: dir,
  encoding: 'utf8',
  env: { ...process.env, CI: '1' },
});
if (!out.includes('0 ran, 0 restored, 7 up to date')) throw new Error(`expected an all-cached run, got:\n${out}`);

const snake = '/usr/bin/snakemake';
const haveSnake = existsSync(snake);
if (haveSnake) {
  execFileSync(snake, ['-c1', '-q'], { cwd: dir, stdio: 'ignore' });
  timeIt(snake, ['-n', '-q']); // warm-up
}
const mlc: { wall: number; cpu: number }[] = [];
const smk: { wall: number; cpu: number }[] = [];
for (let i = 0; i < REPEAT; i++) {
  // interleave so both see the same machine load
  mlc.push(timeIt('node', [CLI, 'run', 'p.yaml']));
  if (haveSnake) smk.push(timeIt(snake, ['-n', '-q']));
}
const sec = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const m = stats(mlc.map((x) => x.wall));
const mc = stats(mlc.map((x) => x.cpu));
console.log(
  `mlc-pipe run (all cached): wall median ${sec(m.median)}, min ${sec(m.min)}; cpu median ${sec(mc.median)}  (target < 0.5 s)`,
);
if (haveSnake) {
  const s = stats(smk.map((x) => x.wall));
  const sc = stats(smk.map((x) => x.cpu));
  console.log(
    `snakemake -n:              wall median ${sec(s.median)}, min ${sec(s.min)}; cpu median ${sec(sc.median)}`,
  );
  console.log(
    `ratio mlc-pipe / snakemake: wall ${(m.median / s.median).toFixed(2)} (median), ${(m.min / s.min).toFixed(2)} (min); cpu ${(mc.median / sc.median).toFixed(2)}`,
  );
} else {
  console.log('snakemake: /usr/bin/snakemake not found, no comparison');
}
