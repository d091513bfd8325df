/**
 * `mlc-pipe init [dir]`: scaffold a pipeline; `mlc-pipe init --from <images>`: a pipeline for a
 * folder of images (init-from.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { nonNegativeInt } from '../options.ts';
import { initFromFolder, type InitFromFlags } from './init-from.ts';

/** The ML pipeline scaffolded by `init`: demo data → labels → train → evaluate → prune → convert. */
export const ML_PIPELINE = `# mlc-pipe pipeline: run it with \`mlc-pipe run pipeline.yaml\`
# Reference: \`mlc-pipe stages\` (built-in stages and their params), docs/yaml.md (this file's format).
name: demo
vars:
  data: data/demo
  run: demo
  epochs: 3

stages:
  dataset:
    uses: make-dataset
    with: { name: plates, out: "\${data}", n: 600, seed: 0 }

  # A command stage: argv list, no shell. Inputs/outputs make it part of the DAG and the cache.
  count:
    cmd: [node, -e, "const fs=require('fs');fs.writeFileSync('reports/count.txt', String(fs.readFileSync('\${data}/train.txt','utf8').split('\\\\n').filter(Boolean).length))"]
    deps: ["\${data}"]
    outs: [reports/count.txt]

  # Custom TypeScript stage (no build step): see stages/hello.ts.
  hello:
    uses: ./stages/hello.ts
    with: { greeting: hi, out: reports/hello.txt }
`;

export const HELLO_STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from 'mlc-pipe/stage';

export default defineStage({
  name: 'hello',
  version: '1',
  description: 'Writes a greeting',
  params: Type.Object({
    greeting: Type.String({ default: 'hello', description: 'What to write. Defaults to hello.' }),
    out: Type.String({ default: 'reports/hello.txt', description: 'Output file. Defaults to reports/hello.txt.' }),
  }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    writeFileSync(ctx.out(ctx.params.out), \`\${ctx.params.greeting}\\n\`);
    ctx.log(\`wrote \${ctx.params.out}\`);
  },
});
`;

export function registerInit(program: Command, io: CliIO): void {
  program
    .command('init')
    .description(
      'scaffold a pipeline (pipeline.yaml, a custom stage, .gitignore) in a folder; with --from, write a pipeline for a folder of images',
    )
    .argument('[dir]', 'folder to create the scaffold in (not with --from)')
    .option(
      '--from <images>',
      'folder of images: detect its layout (class folders, nested folders, manifest.csv/.jsonl, --pattern), report what it holds and write a pipeline that runs end to end',
    )
    .option('--out <file>', 'with --from: pipeline file to write (default: pipeline.yaml)')
    .option('--dry-run', 'with --from: print the pipeline on stdout instead of writing it')
    .option(
      '--pattern <regex>',
      'with --from: labels from file paths, a regex with one named group per head, e.g. "(?<colour>[a-z]+)_(?<shape>[a-z]+)_\\d+"',
    )
    .option(
      '--heads <levels>',
      'with --from: which folder levels are heads, e.g. colour/shape, -/shape (skip level 1) or 2',
    )
    .option('--val-fraction <f>', 'with --from: fraction of each class in val (default: 0.1)', Number)
    .option('--test-fraction <f>', 'with --from: fraction of each class in test (default: 0.1)', Number)
    .option('--seed <n>', 'with --from: seed of the split and of training (default: 0)', nonNegativeInt('--seed'))
    .option('--force', 'overwrite existing files')
    .action(
      async (dirArg: string | undefined, flags: Omit<InitFromFlags, 'from'> & { from?: string; force?: boolean }) => {
        if (flags.from !== undefined) {
          if (dirArg !== undefined)
            throw new ConfigError(
              `init --from writes one pipeline file: give its path with --out, not a folder argument (${dirArg})`,
              { hint: `mlc-pipe init --from ${flags.from} --out ${path.join(dirArg, 'pipeline.yaml')}` },
            );
          return initFromFolder({ ...flags, from: flags.from }, io);
        }
        const onlyWithFrom = (
          ['out', 'dryRun', 'pattern', 'heads', 'valFraction', 'testFraction', 'seed'] as const
        ).filter((k) => flags[k] !== undefined);
        if (onlyWithFrom.length) {
          throw new ConfigError(
            `init: ${onlyWithFrom.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only work${onlyWithFrom.length === 1 ? 's' : ''} with --from <images>`,
            { hint: 'mlc-pipe init --from photos/' },
          );
        }
        const dir = dirArg ?? '.';
        const files: [string, string][] = [
          ['pipeline.yaml', ML_PIPELINE],
          ['stages/hello.ts', HELLO_STAGE],
          ['.gitignore', '.mlc/\nlogs/\ndata/\nmodels/\nreports/\n'],
        ];
        // Stage modules are ES modules: a folder without a package.json gets one saying so.
        if (!existsSync(path.join(dir, 'package.json')))
          files.push(['package.json', '{\n  "private": true,\n  "type": "module"\n}\n']);
        const existing = files.map(([f]) => path.join(dir, f)).filter((f) => existsSync(f));
        if (existing.length && !flags.force) {
          throw new ConfigError(`init: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}`, {
            hint: 'choose another folder or pass --force',
          });
        }
        for (const [f, text] of files) {
          const abs = path.join(dir, f);
          mkdirSync(path.dirname(abs), { recursive: true });
          writeFileSync(abs, text);
          io.out(`wrote ${abs}`);
        }
        io.out(`next: mlc-pipe run ${path.join(dir, 'pipeline.yaml')}`);
      },
    );
}
