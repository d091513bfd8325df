/**
 * Every `mlc-pipe …` command README.md and docs/*.md show matches the CLI: each synopsis (an
 * indented or inline `mlc-pipe <command> …`) names a command whose `--help` exits 0 and that has
 * every option the synopsis shows; each concrete shell line (```sh blocks) runs and exits as
 * documented (0), except the ones that train (a `run` that is not `--dry-run`), need a Redis
 * server (`--executor bullmq`) or the reader's own image folder (`init --from photos/`, run for real
 * by test/cli/init-from.test.ts), which are listed by name so a new one cannot slip by unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { runMain } from '../cli/run-main.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Shown {
  where: string;
  text: string;
}

/** Synopses: inline `mlc-pipe …` spans and indented `    mlc-pipe …` lines (with their indented continuation lines). */
export function synopses(doc: string, markdown: string): Shown[] {
  const out: Shown[] = [];
  const lines = markdown.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/`mlc-pipe ([^`]+)`/g))
      out.push({ where: `${doc}:${i + 1}`, text: m[1]!.replace(/\\\|/g, '|') });
    const ind = /^ {4}mlc-pipe (.+)$/.exec(line);
    if (ind) {
      let text = ind[1]!;
      for (let j = i + 1; j < lines.length && /^ {8,}\[/.test(lines[j]!); j++) text += ` ${lines[j]!.trim()}`;
      out.push({ where: `${doc}:${i + 1}`, text });
    }
  });
  return out;
}

/** Concrete command lines of ```sh blocks (`npx mlc-pipe …`, comments cut). */
export function shellLines(doc: string, markdown: string): Shown[] {
  const out: Shown[] = [];
  const re = /^```(?:sh|bash)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    const first = markdown.slice(0, m.index).split('\n').length + 1;
    m[1]!.split('\n').forEach((line, k) => {
      const c = /(?:^|&&\s*)(?:npx )?mlc-pipe (.+?)\s*(?:#.*)?$/.exec(line.trim());
      if (c) out.push({ where: `${doc}:${first + k}`, text: c[1]! });
    });
  }
  return out;
}

/** The subcommand a synopsis names (`metrics diff`, `run`), or undefined for `<command>`. */
function commandOf(program: Command, text: string): Command | undefined {
  let cmd: Command | undefined;
  let cur: readonly Command[] = program.commands;
  for (const word of text.split(/\s+/)) {
    const next = cur.find((c) => c.name() === word);
    if (!next) break;
    cmd = next;
    cur = next.commands;
  }
  return cmd;
}

describe('commands shown in the docs', () => {
  const program = buildProgram({ out: () => {}, err: () => {}, isTTY: false }, () => {});
  const shown = DOCS.flatMap((doc) => synopses(doc, readFileSync(path.join(REPO, doc), 'utf8')));

  it('finds them (the README CLI table, docs/cli.md synopses)', () => {
    expect(shown.filter((s) => s.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(15);
    expect(shown.filter((s) => s.where.startsWith('docs/cli.md')).length).toBeGreaterThanOrEqual(15);
    expect(
      synopses('x', 'a `mlc-pipe dag <f> [--json]` b\n    mlc-pipe run <f> [-j N]\n            [--plain]\n'),
    ).toEqual([
      { where: 'x:1', text: 'dag <f> [--json]' },
      { where: 'x:2', text: 'run <f> [-j N] [--plain]' },
    ]);
  });

  it.each(shown.map((s) => [`${s.where} mlc-pipe ${s.text}`, s] as const))(
    '%s: the command exists with every option shown',
    async (_, s) => {
      if (s.text.startsWith('<command>')) return; // "mlc-pipe <command> --help"
      const cmd = commandOf(program, s.text);
      expect(cmd, `${s.where}: no command in "mlc-pipe ${s.text}"`).toBeDefined();
      const names: string[] = [];
      for (let c: Command | null = cmd!; c; c = c.parent) names.unshift(c.name());
      const help = await runMain(...names.slice(1), '--help');
      expect(help.code).toBe(0);
      const flags = new Set(cmd!.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f));
      for (const f of s.text.match(/(?<![\w-])--?[a-zA-Z][\w-]*/g) ?? [])
        expect(flags.has(f) || f === '--help', `${s.where}: mlc-pipe ${names.slice(1).join(' ')} has no ${f}`).toBe(
          true,
        );
    },
  );

  const lines = DOCS.flatMap((doc) => shellLines(doc, readFileSync(path.join(REPO, doc), 'utf8')));
  const trains = (l: Shown) => /^run\b/.test(l.text) && !l.text.includes('--dry-run');
  const redis = (l: Shown) => l.text.includes('--executor bullmq');
  const userData = (l: Shown) => /--from photos\//.test(l.text);
  const skipped = (l: Shown) => trains(l) || redis(l) || userData(l);

  it('the shell lines that are not run here are the training, Redis and your-own-folder ones, by name', () => {
    expect(lines.filter(skipped).map((l) => l.text)).toEqual([
      'run pipelines/quickstart.yaml',
      'run pipelines/quickstart.yaml --stage evaluate --force',
      'init --from photos/',
      'run pipeline.yaml',
      'run pipeline.yaml --executor bullmq --redis redis://queue-host:6379 --store /mnt/shared/mlc-store',
    ]);
  });

  it.each(lines.filter((l) => !skipped(l)).map((l) => [`${l.where} mlc-pipe ${l.text}`, l] as const))(
    '%s exits 0 as documented',
    async (_, l) => {
      const args = l.text.split(/\s+/).map((a) => (a.startsWith('pipelines/') ? path.join(REPO, a) : a));
      const r = await runMain(...args);
      expect(r.code, r.err).toBe(0);
      expect(r.out.length).toBeGreaterThan(0);
    },
  );
});
