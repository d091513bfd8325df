/**
 * The `mlc-pipe` command line. Exit codes: 0 ok, 1 a stage failed, 2 usage or validation error
 * (no command at all: the help on stderr, 2), 130 after Ctrl-C. Heavy modules are imported inside each command's action.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { fromPackageRoot } from '../package-root.ts';
import { registerCache } from './commands/cache.ts';
import { registerData } from './commands/data.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerExp } from './commands/exp.ts';
import { registerGc } from './commands/gc.ts';
import { registerInit } from './commands/init.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerParams } from './commands/params.ts';
import { registerPlots } from './commands/plots.ts';
import { registerPredict } from './commands/predict.ts';
import { registerRemote } from './commands/remote.ts';
import { registerRun } from './commands/run.ts';
import { registerStages } from './commands/stages.ts';
import { registerWorker } from './commands/worker.ts';
import { processIO, type CliIO } from './io.ts';

function version(): string {
  try {
    return (JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the commander program; `setExit` receives a command's non-zero exit code. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('mlc-pipe')
    .description(
      'YAML pipelines from a folder of images to a trained, evaluated, pruned, exported multi-label CNN (TensorFlow.js)',
    )
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(run with --help for usage)')
    .option('--verbose', 'print stack traces with errors');
  registerRun(program, io, setExit);
  registerInspect(program, io, setExit);
  registerStages(program, io);
  registerInit(program, io);
  registerData(program, io);
  registerEvaluate(program, io);
  registerPredict(program, io);
  registerMetrics(program, io);
  registerExp(program, io);
  registerParams(program, io);
  registerPlots(program, io);
  registerGc(program, io);
  registerCache(program, io, setExit);
  registerRemote(program, io);
  registerWorker(program, io);
  return program;
}

/**
 * An MlcPipeError from any copy of src/errors.ts (the CLI may run from its bundle while other
 * modules load from source), recognised by shape rather than `instanceof`.
 */
function isMlcPipeError(err: unknown): err is Error & { exitCode: number; hint?: string } {
  return err instanceof Error && typeof (err as { exitCode?: unknown }).exitCode === 'number';
}

/** Text of an error's stack and the stacks of its causes (for --verbose). */
function stacks(err: unknown): string {
  const out: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(depth === 0 ? String((e as Error).stack ?? e) : `caused by: ${String((e as Error).stack ?? e)}`);
  }
  return out.join('\n');
}

/** Runs the CLI with `argv` (as process.argv: node, script, args…) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let code = 0;
  const verbose = argv.includes('--verbose');
  const program = buildProgram(io, (c) => (code = c));
  if (argv.slice(2).filter((a) => a !== '--verbose').length === 0) {
    // no command: usage, not success (a script calling `mlc-pipe $CMD` with CMD unset must not pass)
    io.err(program.helpInformation().replace(/\n$/, ''));
    return 2;
  }
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      if (err.code === 'commander.executeSubCommandAsync') return err.exitCode;
      return 2;
    }
    if (isMlcPipeError(err)) {
      io.err(`${err.name}: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
      if (verbose) io.err(stacks(err));
      return err.exitCode;
    }
    // Not one of ours: still one clear line; the stack only with --verbose.
    const e = err as NodeJS.ErrnoException;
    const first = String(e?.message ?? err).split('\n')[0];
    io.err(`internal error: ${first}`);
    io.err(
      verbose
        ? stacks(err)
        : '  hint: this is a bug in mlc-pipe; run again with --verbose and report the stack trace it prints',
    );
    return 1;
  }
}
