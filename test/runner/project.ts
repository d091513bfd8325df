/**
 * Test helpers: throwaway pipeline projects in os.tmpdir() and a way to run the real CLI.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'bin', 'mlc-pipe.js');
/** Import specifier test stages use for defineStage/Type. */
export const STAGE_API = path.join(REPO, 'src', 'stage', 'index.ts');

/** Creates a temp folder (an ESM package) holding `files`. */
export function tempProject(files: Record<string, string>, prefix = 'mlc-pipe-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  writeFiles(dir, { 'package.json': '{ "type": "module" }\n', ...files });
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Stage ids that ran to completion (`✔ id`). */
  ran: string[];
  /** Stage ids restored from the run-cache. */
  restored: string[];
  /** Stage ids skipped as up to date. */
  skipped: string[];
}

function parse(code: number, stdout: string, stderr: string): CliResult {
  const ids = (mark: string) =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith(`${mark} `))
      .map((l) => l.slice(2).split(/[: ]/)[0]!);
  return { code, stdout, stderr, ran: ids('✔'), restored: ids('↺'), skipped: ids('-') };
}

/** Runs `mlc-pipe <args>` in `cwd` (non-TTY, so the plain renderer). */
export async function cli(args: string[], cwd: string = REPO, env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa('node', [CLI, ...args], { cwd, reject: false, env: { CI: '1', ...env } });
  return parse(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
}

/** Starts the CLI without waiting (for kill tests). */
export function startCli(
  args: string[],
  cwd: string = REPO,
  detached = false,
): ResultPromise<{ reject: false; env: Record<string, string>; detached: boolean }> {
  return execa('node', [CLI, ...args], { cwd, reject: false, env: { CI: '1' }, detached });
}

export function parseResult(code: number, stdout: string, stderr: string): CliResult {
  return parse(code, stdout, stderr);
}

/**
 * Source of a small test stage: reads `inputs`, writes `out` = concatenated inputs + `text`.
 * `extraImport` adds an import line (for code-identity tests).
 */
export function concatStage(opts: {
  name: string;
  inputs?: string[];
  extraImport?: string;
  transform?: string;
}): string {
  return `import { readFileSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
${opts.extraImport ?? ''}
export default defineStage({
  name: ${JSON.stringify(opts.name)},
  version: '1',
  description: 'test stage',
  params: Type.Object({
    text: Type.String({ default: '', description: 'Appended. Defaults to "".' }),
    inputs: Type.Array(Type.String(), { default: ${JSON.stringify(opts.inputs ?? [])}, description: 'Files read. Defaults to [].' }),
    out: Type.String({ description: 'Output file.' }),
    epochs: Type.Integer({ minimum: 1, default: 1, description: 'Unused number. Defaults to 1.' }),
  }),
  inputs: (p) => p.inputs,
  outputs: (p) => [p.out],
  async run(ctx) {
    let s = ctx.params.inputs.map((i) => readFileSync(ctx.path(i), 'utf8')).join('') + ctx.params.text;
    ${opts.transform ?? ''}
    writeFileSync(ctx.out(ctx.params.out), s);
    ctx.log('wrote ' + ctx.params.out);
  },
});
`;
}
