/**
 * One run per pipeline, as a user meets it: 50 pairs of real `mlc-pipe run --force` of the same
 * pipeline, each pair started in the same instant. Exactly one of each pair runs its stage (which
 * blocks until the test lets it finish, so both are alive at once); the other is refused with
 * exit 2 naming the winner's process; no pid file is left. Pairs run a few at a time, each in its
 * own folder.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type Result } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, CLI, tempProject } from '../runner/project.ts';

const PAIRS = 50;
const AT_ONCE = 5;
const PIPELINE = `stages:
  hold:
    cmd: "touch started.$$; while [ ! -e go ]; do sleep 0.01; done; echo ran > out.txt"
    shell: true
    outs: [out.txt]
`;

type Outcome = { code: number; stdout: string; stderr: string; pid: number };

function start(dir: string) {
  return execa('node', [CLI, 'run', 'p.yaml', '--force'], { cwd: dir, reject: false, env: { CI: '1' } });
}
const outcome = async (p: ReturnType<typeof start>): Promise<Outcome> => {
  const r: Result = await p;
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), pid: p.pid! };
};

/** One pair: both started in the same tick; returns what each did. */
async function pair(
  dir: string,
): Promise<{ started: number; winner: Outcome | undefined; loser: Outcome | undefined; both: Outcome[] }> {
  const procs = [start(dir), start(dir)];
  const results = procs.map(outcome);
  // The first to finish must be the refused one (the other is blocked in its stage); if both
  // took the lock neither finishes, so give up after a while and release them.
  const first = await Promise.race([
    ...results.map((r, i) => r.then(() => i)),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
  ]);
  writeFileSync(path.join(dir, 'go'), '');
  const both = await Promise.all(results);
  const started = readdirSync(dir).filter((f) => f.startsWith('started.')).length;
  return {
    started,
    winner: first === undefined ? undefined : both[1 - first],
    loser: first === undefined ? undefined : both[first],
    both,
  };
}

describe('run lock through the CLI', () => {
  beforeAll(async () => {
    expect((await cli(['--version'])).code).toBe(0); // builds the CLI bundle once, before the pairs start
  });

  it(
    `of ${PAIRS} pairs of \`mlc-pipe run --force\` started at once, exactly one runs each time`,
    { timeout: 180_000 },
    async () => {
      const dirs = Array.from({ length: PAIRS }, () => tempProject({ 'p.yaml': PIPELINE }, 'mlc-lock-stress-'));
      const outcomes: Awaited<ReturnType<typeof pair>>[] = [];
      for (let i = 0; i < PAIRS; i += AT_ONCE)
        outcomes.push(...(await Promise.all(dirs.slice(i, i + AT_ONCE).map(pair))));

      const summary = outcomes.map(
        (o) =>
          `${o.started} started, exits ${o.both
            .map((b) => b.code)
            .sort()
            .join('/')}`,
      );
      expect(summary).toEqual(new Array(PAIRS).fill('1 started, exits 0/2'));
      outcomes.forEach((o, i) => {
        expect(o.loser!.code).toBe(2);
        expect(o.loser!.stderr).toContain(`p.yaml is already being run by process ${o.winner!.pid}`);
        expect(o.winner!.code).toBe(0);
        expect(o.winner!.stdout).toContain('✔ hold');
        expect(readFileSync(path.join(dirs[i]!, 'out.txt'), 'utf8')).toBe('ran\n');
        expect(existsSync(path.join(dirs[i]!, '.mlc', 'p.yaml.run.pid'))).toBe(false);
        expect(readdirSync(path.join(dirs[i]!, '.mlc')).filter((f) => f.includes('.run.pid'))).toEqual([]); // no temp or takeover file either
      });
    },
  );
});
