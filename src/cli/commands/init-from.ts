/**
 * `mlc-pipe init --from <images>`: looks at a folder of images through `initFrom`
 * (src/data/inspect/init-from.ts), prints what it found on stderr, then writes the pipeline YAML
 * (`--out`, default pipeline.yaml) or prints it on stdout (`--dry-run`). Exit 2 for bad usage or
 * a folder no pipeline can be built from.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { entryPoint } from '../../../stages/entry-points.ts';
import { checkOptions } from '../../pipeline/check-options.ts';

export interface InitFromFlags {
  from: string;
  out?: string;
  dryRun?: boolean;
  force?: boolean;
  pattern?: string;
  heads?: string;
  valFraction?: number;
  testFraction?: number;
  seed?: number;
}

const FLAG: Record<string, string> = {
  from: '--from',
  out: '--out',
  pattern: '--pattern',
  heads: '--heads',
  val_fraction: '--val-fraction',
  test_fraction: '--test-fraction',
  seed: '--seed',
};

export async function initFromFolder(flags: InitFromFlags, io: CliIO): Promise<void> {
  const { initFromOptionsSchema } = await entryPoint('init-from-options');
  const given: Record<string, unknown> = {
    from: flags.from,
    out: flags.out,
    pattern: flags.pattern,
    heads: flags.heads,
    val_fraction: flags.valFraction,
    test_fraction: flags.testFraction,
    seed: flags.seed,
  };
  const options = checkOptions(initFromOptionsSchema, given, {
    reference: '`mlc-pipe init --help`',
    label: (k) => FLAG[k] ?? k,
  });
  const target = path.resolve(options.out);
  if (!flags.dryRun && existsSync(target) && !flags.force) {
    throw new ConfigError(`init: ${options.out} already exists`, {
      hint: 'pass --out <file> to write elsewhere, --force to replace it, or --dry-run to print the pipeline',
    });
  }
  const { initFrom } = await entryPoint('init-from');
  const { yaml, report } = await initFrom(options, { path: (p) => path.resolve(p) });
  for (const line of report) io.err(line);
  if (flags.dryRun) {
    io.out(yaml);
    return;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, yaml);
  io.err(`wrote ${options.out}`);
  io.err(`next: mlc-pipe run ${options.out}`);
}
