/**
 * A stage's `timeout` stops it (module stages too), `retries` tries a failed stage again after
 * `retry_delay`, doubled each time.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, STAGE_API, tempProject } from './project.ts';

const SLEEPER = `import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'sleeper', version: '1', description: 'sleeps, then writes',
  params: Type.Object({ seconds: Type.Number({ description: 'Sleep.' }), out: Type.String({ description: 'Output.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    await sleep(ctx.params.seconds * 1000, undefined, { signal: ctx.signal });
    writeFileSync(ctx.out(ctx.params.out), 'slept');
  },
});
`;

describe('stage limits', () => {
  it('timeout stops a module stage and fails it; nothing is recorded', async () => {
    const dir = tempProject({
      's.ts': SLEEPER,
      'p.yaml':
        'stages:\n  slow: { uses: ./s.ts, timeout: 1, with: { seconds: 60, out: o.txt } }\n  fast: { uses: ./s.ts, timeout: 30, with: { seconds: 0, out: f.txt } }\n',
    });
    const t0 = Date.now();
    const r = await cli(['run', 'p.yaml', '--keep-going'], dir);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    expect(r.ran).toEqual(['fast']);
    expect(r.stderr).toContain('✖ stage slow: timed out after 1s');
    expect(existsSync(path.join(dir, 'o.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')).not.toContain('slow');
    expect(readFileSync(path.join(dir, 'logs/p/slow.log'), 'utf8')).toContain('# timed out after 1s: stopping');
  });

  it('retries run a failing stage again after the backoff, and give up after the last one', async () => {
    // Fails until it has been started `n` times (counted in a file outside its outputs).
    const flaky = (n: number) =>
      `{ cmd: "c=$(cat count-${n} 2>/dev/null || echo 0); c=$((c+1)); echo $c > count-${n}; [ $c -ge ${n} ] && echo ok > out-${n}", shell: true, outs: [out-${n}], retries: 2, retry_delay: 0.2 }`;
    const dir = tempProject({ 'p.yaml': `stages:\n  third: ${flaky(3)}\n  never: ${flaky(4)}\n` });
    const r = await cli(['run', 'p.yaml', '--keep-going'], dir);
    expect(r.code).toBe(1);
    expect(r.ran).toEqual(['third']);
    expect(readFileSync(path.join(dir, 'count-3'), 'utf8').trim()).toBe('3');
    expect(readFileSync(path.join(dir, 'count-4'), 'utf8').trim()).toBe('3'); // 1 + 2 retries, then it gives up
    const log = readFileSync(path.join(dir, 'logs/p/third.log'), 'utf8');
    expect(log).toContain('# attempt 1/3 failed: stage third: command exited with code 1');
    expect(log).toContain('trying again in 0.2s');
    expect(log).toContain('# attempt 2/3 failed');
    expect(log).toContain('trying again in 0.4s');
  });
});
