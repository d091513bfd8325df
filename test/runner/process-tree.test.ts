/**
 * A stage's timeout, and SIGINT/SIGTERM of the runner, end the whole process tree the stage
 * started (its process group), not only its first process: nothing of it is left running.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cli, parseResult, STAGE_API, startCli, tempProject } from './project.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidFrom(file: string): Promise<number> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await sleep(100);
  for (let i = 0; i < 50; i++) {
    const n = Number(readFileSync(file, 'utf8').trim());
    if (n > 0) return n;
    await sleep(100);
  }
  throw new Error(`no pid in ${file}`);
}

/** The process `pid` is gone (a moment for the kernel to reap it). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  return !alive(pid);
}

/** A module stage that starts a long `sleep` child (its grandchild for the runner) and waits. */
const SPAWNING_STAGE = `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'spawner', version: '1', description: 'd', params: Type.Object({ out: Type.String() }),
  inputs: () => [], outputs: (p) => [p.out],
  async run(ctx) {
    const c = spawn('sleep', ['300'], { stdio: 'ignore' });
    writeFileSync('grandchild.pid', String(c.pid));
    await new Promise(() => {});
  },
});
`;

describe('timeouts and stops end the whole process tree', () => {
  it('timeout on [sh, -c, "sleep 300 & wait"]: the stage fails as timed out and its grandchild is gone', async () => {
    const dir = tempProject({
      'p.yaml':
        'stages:\n  s: { cmd: [sh, -c, "sleep 300 & echo $! > grandchild.pid; wait"], timeout: 2, outs: [o] }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ s: stage s: timed out after 2s: sh -c sleep 300 & echo $! > grandchild.pid; wait');
    expect(await gone(await pidFrom(path.join(dir, 'grandchild.pid')))).toBe(true);
  });

  it('timeout on a module stage that started a child process: the child is gone too', async () => {
    const dir = tempProject({
      'spawner.ts': SPAWNING_STAGE,
      'p.yaml': 'stages:\n  m: { uses: ./spawner.ts, with: { out: o }, timeout: 3 }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ m: stage m: timed out after 3s');
    expect(await gone(await pidFrom(path.join(dir, 'grandchild.pid')))).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the runner: running stages and their children end, exit 128+signal',
    async (signal) => {
      const dir = tempProject({
        'spawner.ts': SPAWNING_STAGE,
        'p.yaml':
          'stages:\n  c: { cmd: [sh, -c, "sleep 300 & echo $! > cmd.pid; wait"], outs: [c] }\n  m: { uses: ./spawner.ts, with: { out: o } }\n',
      });
      const proc = startCli(['run', 'p.yaml', '--jobs', '2'], dir);
      const pids = [await pidFrom(path.join(dir, 'cmd.pid')), await pidFrom(path.join(dir, 'grandchild.pid'))];
      proc.kill(signal);
      const res = await proc;
      const r = parseResult(res.exitCode ?? -1, String(res.stdout), String(res.stderr));
      expect(r.code).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(r.stdout).toContain('✖ c: stage c: stopped (interrupted)');
      expect(r.stdout).toContain('✖ m: stage m: stopped (interrupted)');
      for (const pid of pids) expect(await gone(pid)).toBe(true);
    },
  );
});
