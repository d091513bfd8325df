/**
 * `mlc-pipe run <file>`: run what is out of date.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { collect, nonNegativeInt, positiveInt } from '../options.ts';
import { formatPlan } from '../print-plan.ts';
import type { ParamOverride } from '../../pipeline/load.ts';
import type { RunSummary } from '../../runner/run.ts';
import { BUILTIN_EXECUTORS, DEFAULT_EXECUTOR } from '../../runner/executors/registry.ts';

interface RunFlags {
  stage?: string[];
  downstream?: boolean;
  force?: boolean;
  dryRun?: boolean;
  jobs?: number;
  gpus?: number;
  set?: string[];
  keepGoing?: boolean;
  plain?: boolean;
  executor?: string;
  redis?: string;
  queue?: string;
  store?: string;
  engine?: string;
  precision?: string;
  threads?: number;
}

/** `--engine`/`--precision`/`--threads` as params for every stage that has them (the loader checks the values against each schema). */
export function engineOverrides(flags: { engine?: string; precision?: string; threads?: number }): ParamOverride[] {
  const out: ParamOverride[] = [];
  if (flags.engine !== undefined) out.push({ flag: '--engine', param: 'engine', value: flags.engine });
  if (flags.precision !== undefined) out.push({ flag: '--precision', param: 'precision', value: flags.precision });
  if (flags.threads !== undefined) out.push({ flag: '--threads', param: 'threads', value: flags.threads });
  return out;
}

/** A path relative to the current folder when inside it, else absolute. */
function shown(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** The run's flags: what to run, how many at once, overrides, engine, output, executor. */
function declareRunOptions(cmd: Command): Command {
  return cmd
    .option(
      '--stage <id>',
      'run this stage (and its out-of-date upstream); repeatable; a template id selects all its foreach/matrix instances',
      collect,
    )
    .option('--downstream', 'with --stage: also run everything downstream of it')
    .option('--force', 'run the selected stages (all without --stage) even when up to date')
    .option('--dry-run', 'print what would run and why, run nothing')
    .option(
      '-j, --jobs <n>',
      `concurrent CPU slots (default: CPU count, ${os.availableParallelism()} here)`,
      positiveInt('--jobs'),
    )
    .option(
      '--gpus <n>',
      'GPUs available to stages declaring resources.gpu; 0 = not enforced (default: 0)',
      nonNegativeInt('--gpus'),
    )
    .option(
      '-S, --set <key=value>',
      'override: vars.<name>=v or stages.<id>.<field>=v (e.g. stages.train.with.epochs=3); repeatable',
      collect,
    )
    .option('--keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('--engine <name>', 'engine for every stage that has an `engine` param (overrides the pipeline and -S)')
    .option(
      '--precision <name>',
      'fp32, bf16 or auto for every stage that has a `precision` param (overrides the pipeline and -S; bf16 = mixed precision on the native engine, auto = bf16 where the CPU has AMX/AVX512-BF16)',
    )
    .option(
      '--threads <n>',
      "threads for every stage that has a `threads` param (0 = the stage's CPU slots)",
      nonNegativeInt('--threads'),
    )
    .option('--plain', 'plain line output even on a terminal')
    .option(
      '--executor <name>',
      `${[...BUILTIN_EXECUTORS.values()].map((e) => `${e.name} (${e.description})`).join('; or ')} (default: the pipeline's \`executor:\`, else ${DEFAULT_EXECUTOR})`,
    )
    .option('--redis <url>', "Redis URL of the bullmq executor (default: MLC_REDIS_URL, else the pipeline's `redis:`)")
    .option(
      '--queue <name>',
      "queue name prefix shared with the workers (default: MLC_QUEUE, else the pipeline's `queue:`, else mlc-pipe)",
    )
    .option(
      '--store <dir>',
      "shared store folder every worker mounts (default: MLC_STORE, else the pipeline's `store:`)",
    );
}

/** The runner's options from the flags. */
function runOptions(flags: RunFlags) {
  return {
    overrides: flags.set ?? [],
    paramOverrides: engineOverrides(flags),
    targets: flags.stage ?? [],
    downstream: flags.downstream,
    force: flags.force,
    dryRun: flags.dryRun,
    jobs: flags.jobs,
    gpus: flags.gpus,
    keepGoing: flags.keepGoing,
    execution: { executor: flags.executor, redis: flags.redis, queue: flags.queue, store: flags.store },
  };
}

/**
 * Ctrl-C or SIGTERM: stop the running stages (each one's whole process group), record nothing
 * of them; a second one quits at once (the stage process groups are killed on the way out).
 * `exitCode()` is 130 (143 after a SIGTERM); `release()` removes the handlers.
 */
function interruptOnSignals(io: CliIO, controller: AbortController): { exitCode: () => number; release: () => void } {
  let interrupts = 0;
  let exitCode = 130;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    exitCode = signal === 'SIGTERM' ? 143 : 130;
    if (interrupts === 1) {
      io.err(
        signal === 'SIGINT'
          ? 'interrupted: stopping running stages (Ctrl-C again to quit at once)'
          : `${signal}: stopping running stages (again to quit at once)`,
      );
      controller.abort();
    } else process.exit(exitCode);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    exitCode: () => exitCode,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The `done:` line and each failure's message, hint and log; returns the exit code. */
function reportSummary(io: CliIO, summary: RunSummary, interruptedExit: number): number {
  for (const w of summary.warnings) io.err(`warning: ${w}`);
  const ran = [...summary.results.values()];
  const count = (s: string) => ran.filter((r) => r.status === s).length;
  io.out(
    `done: ${count('ok')} ran, ${count('restored')} restored, ${count('skipped')} up to date, ${summary.failed.length} failed, ${count('not-run')} not run`,
  );
  for (const id of summary.failed) {
    const e = summary.errors.get(id) as { message: string; hint?: string };
    io.err(
      `✖ ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}\n  log: ${shown(path.join(summary.logDir, `${id}.log`))}`,
    );
  }
  // A run exits 0 only when every stage it was asked to run completed (ran, restored or up to date):
  // 2 when every failed stage refused to start (pre-flight checks), 1 when one failed while running
  // (or a stage was not run).
  if (summary.interrupted) return interruptedExit;
  if (summary.failed.length)
    return summary.failed.every((id) => (summary.errors.get(id) as { exitCode?: number }).exitCode === 2) ? 2 : 1;
  return count('not-run') > 0 ? 1 : 0;
}

async function runAction(file: string, flags: RunFlags, io: CliIO, setExit: (code: number) => void): Promise<void> {
  const { runPipeline } = await import('../../runner/run.ts');
  const opts = runOptions(flags);
  if (flags.dryRun) {
    const summary = await runPipeline(file, opts);
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    io.out(formatPlan(summary.plan));
    return;
  }
  const reporter =
    io.isTTY && !flags.plain
      ? new (await import('../../runner/render/listr.ts')).ListrReporter()
      : new (await import('../../runner/render/plain.ts')).PlainReporter((l) => io.out(l));
  const controller = new AbortController();
  const signals = interruptOnSignals(io, controller);
  try {
    const summary = await runPipeline(file, { ...opts, reporter, signal: controller.signal });
    const code = reportSummary(io, summary, signals.exitCode());
    if (code !== 0) setExit(code);
  } finally {
    signals.release();
  }
}

export function registerRun(program: Command, io: CliIO, setExit: (code: number) => void): void {
  declareRunOptions(
    program
      .command('run')
      .description('run the stages that are out of date (unchanged stages are skipped)')
      .argument('<file>', 'pipeline YAML file'),
  ).action((file: string, flags: RunFlags) => runAction(file, flags, io, setExit));
}
