/**
 * Execution through the CLI: parallel stages, failures, interrupted and killed runs.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, parseResult, STAGE_API, startCli, tempProject } from './project.ts';

/**
 * A stage that records when it started and ended in its output, sleeping `ms` in between. With
 * `marker` it drops that file when it starts; with `wait_for` it then waits (up to 60 s) for that
 * file, so two stages waiting for each other finish only if they run at the same time.
 */
const SLEEP_STAGE = `import { existsSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'sleep', version: '1', description: 'sleeps',
  params: Type.Object({
    ms: Type.Integer({ default: 800, description: 'Sleep. Defaults to 800.' }),
    out: Type.String({ description: 'Output.' }),
    marker: Type.String({ default: '', description: 'Written at start. Defaults to none.' }),
    wait_for: Type.String({ default: '', description: 'Waited for. Defaults to none.' }),
  }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    const start = Date.now();
    if (ctx.params.marker) writeFileSync(ctx.path(ctx.params.marker), '');
    let sawOther = false;
    if (ctx.params.wait_for) {
      while (!existsSync(ctx.path(ctx.params.wait_for)) && Date.now() - start < 60000) await new Promise((r) => setTimeout(r, 20));
      sawOther = existsSync(ctx.path(ctx.params.wait_for));
    }
    await new Promise((r) => setTimeout(r, ctx.params.ms));
    writeFileSync(ctx.out(ctx.params.out), JSON.stringify({ start, end: Date.now(), sawOther }));
  },
});
`;

/**
 * Writes half its output, drops a marker outside its outputs, then waits until a "go" file
 * appears (never, unless the test creates it) before finishing the output.
 */
const HANG_STAGE = `import { existsSync, writeFileSync, openSync, writeSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'hang', version: '1', description: 'hangs mid-write',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    const fd = openSync(ctx.out(ctx.params.out), 'w');
    writeSync(fd, 'first half;');
    if (!existsSync(ctx.path('go'))) {
      writeFileSync(ctx.path('started'), String(process.pid));
      while (!existsSync(ctx.path('go'))) await new Promise((r) => setTimeout(r, 50));
    }
    writeSync(fd, 'second half');
  },
});
`;

const FAIL_STAGE = `import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'fail', version: '1', description: 'fails',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run() { throw new Error('boom: the stage failed on purpose'); },
});
`;

async function waitFor(file: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Finishes but leaves a timer running (as thread pools and engines do). */
const LINGER_STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'linger', version: '1', description: 'leaves a handle open',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    setInterval(() => {}, 1000);
    writeFileSync(ctx.out(ctx.params.out), 'ok');
    return { metrics: { answer: 42 } };
  },
});
`;

describe('execution', () => {
  it('a stage that leaves handles open still completes, and its metrics reach the lock', async () => {
    const dir = tempProject({
      'stages/linger.ts': LINGER_STAGE,
      'p.yaml': 'stages:\n  l: { uses: ./stages/linger.ts, with: { out: l.txt } }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.ran).toEqual(['l']);
    const lock = parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as {
      stages: Record<string, { metrics?: unknown }>;
    };
    expect(lock.stages.l!.metrics).toEqual({ answer: 42 });
  });

  it('--jobs 2 runs two independent stages at the same time; --jobs 1 one after the other', async () => {
    const dir = tempProject({
      'stages/sleep.ts': SLEEP_STAGE,
      // each waits until the other has started: both finish only if they overlap
      'p.yaml': `stages:
  a: { uses: ./stages/sleep.ts, with: { out: a.json, ms: 100, marker: a.started, wait_for: b.started } }
  b: { uses: ./stages/sleep.ts, with: { out: b.json, ms: 100, marker: b.started, wait_for: a.started } }
`,
      'serial.yaml':
        'stages:\n  a: { uses: ./stages/sleep.ts, with: { out: sa.json, ms: 300 } }\n  b: { uses: ./stages/sleep.ts, with: { out: sb.json, ms: 300 } }\n',
    });
    const interval = (f: string) =>
      JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { start: number; end: number; sawOther: boolean };
    const r = await cli(['run', 'p.yaml', '--jobs', '2'], dir);
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = [interval('a.json'), interval('b.json')];
    expect(a.sawOther && b.sawOther).toBe(true);
    expect(Math.max(a.start, b.start)).toBeLessThan(Math.min(a.end, b.end)); // overlap

    const r1 = await cli(['run', 'serial.yaml', '--jobs', '1'], dir);
    expect(r1.code).toBe(0);
    const [a1, b1] = [interval('sa.json'), interval('sb.json')];
    expect(Math.max(a1.start, b1.start)).toBeGreaterThanOrEqual(Math.min(a1.end, b1.end)); // no overlap
  });

  it('cmd stages: a string is split into argv without a shell, shell: true is explicit, timeout kills', async () => {
    const dir = tempProject({
      'p.yaml': `stages:
  argv: { cmd: "node -e process.stdout.write(process.argv.slice(1).join('|')) x y z", outs: [] }
  sh: { cmd: "echo $((6*7)) > sh.txt", shell: true, outs: [sh.txt] }
  slow: { cmd: [sleep, "5"], timeout: 0.5, outs: [] }
`,
    });
    const r = await cli(['run', 'p.yaml', '--keep-going', '--jobs', '1'], dir);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(dir, 'logs/p/argv.log'), 'utf8')).toContain('\nx|y|z\n'); // split on spaces, no shell: the quotes-free script arrives whole
    expect(readFileSync(path.join(dir, 'sh.txt'), 'utf8')).toBe('42\n');
    expect(r.stdout).toContain('✖ slow: stage slow: timed out after 0.5s: sleep 5');
  });

  it('resources.cpu larger than the free slots serialises stages', async () => {
    const dir = tempProject({
      'stages/sleep.ts': SLEEP_STAGE,
      'p.yaml':
        'stages:\n  a: { uses: ./stages/sleep.ts, with: { out: a.json }, resources: { cpu: 2 } }\n  b: { uses: ./stages/sleep.ts, with: { out: b.json }, resources: { cpu: 1 } }\n',
    });
    const r = await cli(['run', 'p.yaml', '--jobs', '2'], dir);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(readFileSync(path.join(dir, 'a.json'), 'utf8')) as { start: number; end: number };
    const b = JSON.parse(readFileSync(path.join(dir, 'b.json'), 'utf8')) as { start: number; end: number };
    expect(Math.max(a.start, b.start)).toBeGreaterThanOrEqual(Math.min(a.end, b.end));
  });

  it('a failing stage: exit 1, its dependents are not run, --keep-going still runs independent stages', async () => {
    const dir = tempProject({
      'stages/fail.ts': FAIL_STAGE,
      'stages/sleep.ts': SLEEP_STAGE,
      'p.yaml': `stages:
  bad: { uses: ./stages/fail.ts, with: { out: bad.txt } }
  after: { uses: ./stages/sleep.ts, with: { out: after.json, ms: 1 }, needs: [bad] }
  other: { uses: ./stages/sleep.ts, with: { out: other.json, ms: 1 }, needs: [slow] }
  slow: { uses: ./stages/sleep.ts, with: { out: slow.json, ms: 1500 } }
`,
    });
    const r = await cli(['run', 'p.yaml', '--jobs', '2', '--keep-going'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ bad: stage bad: boom: the stage failed on purpose');
    expect(r.stdout).toContain('⊘ after: upstream failed: bad');
    expect([...r.ran].sort()).toEqual(['other', 'slow']);
    expect(r.stderr).toContain('log: logs/p/bad.log');
    expect(readFileSync(path.join(dir, 'logs/p/bad.log'), 'utf8')).toContain(
      'Error: boom: the stage failed on purpose',
    );
    const lock = parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as { stages: Record<string, unknown> };
    expect(Object.keys(lock.stages).sort()).toEqual(['other', 'slow']);

    const noKeep = await cli(['run', 'p.yaml', '--jobs', '1'], dir);
    expect(noKeep.code).toBe(1);
    expect(noKeep.stdout).toContain('⊘ after: upstream failed: bad');
  });

  it('a second run of the same pipeline is refused while one is in progress', async () => {
    const dir = tempProject({
      'stages/hang.ts': HANG_STAGE,
      'p.yaml': 'stages:\n  hang: { uses: ./stages/hang.ts, with: { out: r.txt } }\n',
    });
    const first = startCli(['run', 'p.yaml'], dir);
    await waitFor(path.join(dir, 'started'));
    const second = await cli(['run', 'p.yaml'], dir);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`p.yaml is already being run by process ${first.pid}`);
    const dry = await cli(['run', 'p.yaml', '--dry-run'], dir);
    expect(dry.code).toBe(0);
    writeFileSync(path.join(dir, 'go'), '');
    expect((await first).exitCode).toBe(0);
    expect(existsSync(path.join(dir, '.mlc/p.yaml.run.pid'))).toBe(false);
  });

  it('a stage killed mid-write leaves no output, no lock entry and no run-cache entry; the next run redoes it', async () => {
    const dir = tempProject({
      'stages/hang.ts': HANG_STAGE,
      'stages/sleep.ts': SLEEP_STAGE,
      'p.yaml':
        'stages:\n  quick: { uses: ./stages/sleep.ts, with: { out: quick.json, ms: 1 } }\n  hang: { uses: ./stages/hang.ts, with: { out: out/result.txt }, needs: [quick] }\n',
    });
    const proc = startCli(['run', 'p.yaml'], dir);
    await waitFor(path.join(dir, 'started'));
    proc.kill('SIGKILL'); // the runner dies without any chance to clean up
    await proc;
    await new Promise((r) => setTimeout(r, 500)); // the orphaned worker notices and exits
    expect(existsSync(path.join(dir, 'out/result.txt'))).toBe(false);
    const lock = parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as { stages: Record<string, unknown> };
    expect(Object.keys(lock.stages)).toEqual(['quick']);
    expect(readdirSync(path.join(dir, '.mlc/cache/runs'))).toHaveLength(1); // quick only

    writeFileSync(path.join(dir, 'go'), '');
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('▶ hang: never run');
    expect(r.ran).toEqual(['hang']);
    expect(readFileSync(path.join(dir, 'out/result.txt'), 'utf8')).toBe('first half;second half');
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['result.txt']); // the stale temp was cleaned
  });

  it.each(['the runner', 'the whole process group (a terminal Ctrl-C)'])(
    'Ctrl-C sent to %s stops running stages, exits 130 and keeps the finished stages in the lock',
    async (target) => {
      const group = target !== 'the runner';
      const dir = tempProject({
        'stages/hang.ts': HANG_STAGE,
        'stages/sleep.ts': SLEEP_STAGE,
        'p.yaml':
          'stages:\n  quick: { uses: ./stages/sleep.ts, with: { out: quick.json, ms: 1 } }\n  hang: { uses: ./stages/hang.ts, with: { out: result.txt }, needs: [quick] }\n  later: { uses: ./stages/sleep.ts, with: { out: later.json, ms: 1 }, needs: [hang] }\n',
      });
      const proc = startCli(['run', 'p.yaml'], dir, group);
      await waitFor(path.join(dir, 'started'));
      if (group) process.kill(-proc.pid!, 'SIGINT');
      else proc.kill('SIGINT');
      const res = await proc;
      const r = parseResult(res.exitCode ?? -1, String(res.stdout), String(res.stderr));
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('interrupted: stopping running stages');
      expect(r.stdout).toContain('✖ hang: stage hang: stopped (interrupted)');
      expect(r.stdout).toContain('⊘ later: upstream failed: hang');
      expect(existsSync(path.join(dir, 'result.txt'))).toBe(false);
      expect(existsSync(path.join(dir, '.result.txt.mlc-tmp'))).toBe(false);
      const lock = parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as { stages: Record<string, unknown> };
      expect(Object.keys(lock.stages)).toEqual(['quick']);
    },
  );
});
