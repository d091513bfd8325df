/**
 * Params a stage declares `cacheNeutral` (threads, resume…) stay out of the run-cache key and the
 * lock: changing one leaves the stage up to date, while a param that changes results still reruns.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planPipeline, readLock, runPipeline } from '../../src/index.ts';
import { cli, REPO, STAGE_API, tempProject } from './project.ts';
import { keyedParams } from '../../src/host/run-key.ts';

/** Appends `<scale> <threads> <runKey>` to runs.txt (not an output) each time it actually runs. */
const STAGE = `import { appendFileSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'neutral', version: '1', description: 'threads do not change what it writes',
  params: Type.Object({
    out: Type.String({ description: 'Output.' }),
    scale: Type.Number({ description: 'Changes the result. Defaults to 1.', default: 1 }),
    threads: Type.Integer({ description: 'Only how fast. Defaults to 0.', default: 0 }),
  }),
  cacheNeutral: ['threads'],
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    appendFileSync(ctx.path('runs.txt'), \`\${ctx.params.scale} \${ctx.params.threads} \${ctx.runKey?.()}\\n\`);
    writeFileSync(ctx.out(ctx.params.out), String(2 * ctx.params.scale));
  },
});
`;

const pipeline = (scale: number, threads: number) =>
  `stages:\n  a: { uses: ./n.ts, with: { out: a.txt, scale: ${scale}, threads: ${threads} } }\n`;

describe('cache-neutral params', () => {
  it('changing threads leaves the stage up to date and does not rerun it; changing scale does', async () => {
    const dir = tempProject({ 'n.ts': STAGE, 'p.yaml': pipeline(1, 1) });
    const file = path.join(dir, 'p.yaml');
    const runs = () => readFileSync(path.join(dir, 'runs.txt'), 'utf8').trim().split('\n');
    const plan = async () => (await planPipeline(file)).plan.map((s) => [s.action, s.reason]);
    await runPipeline(file);
    expect(runs()).toHaveLength(1);
    expect(readLock(path.join(dir, 'p.mlc.lock')).stages.a!.params).toEqual({ out: 'a.txt', scale: 1 });

    writeFileSync(file, pipeline(1, 4));
    expect(await plan()).toEqual([['skip', 'up to date']]);
    const status = await cli(['status', 'p.yaml'], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('up to date');
    expect(status.stdout).not.toContain('param changed');
    await runPipeline(file);
    expect(runs()).toHaveLength(1);

    // Forced, with other threads: the stage sees the same run key (a checkpoint it wrote stays resumable).
    await runPipeline(file, { force: true });
    const [first, forced] = runs().map((l) => l.split(' '));
    expect(forced!.slice(0, 2)).toEqual(['1', '4']);
    expect(forced![2]).toMatch(/^[0-9a-f]{64}$/);
    expect(forced![2]).toBe(first![2]);

    writeFileSync(file, pipeline(3, 4));
    expect(await plan()).toEqual([['run', 'param changed: scale 1→3']]);
    await runPipeline(file);
    expect(runs()).toHaveLength(3);
    expect(runs()[2]!.split(' ')[2]).not.toBe(first![2]);
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('6');
  });

  it('the built-in model stages declare threads cache-neutral, and nothing that changes numerics', async () => {
    const expected: Record<string, string[]> = {
      train: ['threads', 'resume', 'distributed.timeout_s', 'distributed.gang_timeout_s', 'distributed.overlap'],
      evaluate: ['threads', 'latency_runs'],
      prune: ['threads'],
      convert: ['threads'],
    };
    for (const [name, neutral] of Object.entries(expected)) {
      const def = (await import(path.join(REPO, 'stages', `${name}.ts`))).default as {
        cacheNeutral?: readonly string[];
      };
      expect([name, def.cacheNeutral]).toEqual([name, neutral]);
    }
  });

  it("a dotted name (train's distributed.timeout_s) leaves out that key of an object param only", () => {
    const params = { out: 'm', threads: 2, distributed: { ranks: 2, sync_bn: false, timeout_s: 30 } };
    expect(keyedParams(params, ['threads', 'distributed.timeout_s'])).toEqual({
      out: 'm',
      distributed: { ranks: 2, sync_bn: false },
    });
    expect(keyedParams({ out: 'm' }, ['distributed.timeout_s'])).toEqual({ out: 'm' });
    expect(params.distributed.timeout_s).toBe(30); // the params themselves are left alone
  });
});
