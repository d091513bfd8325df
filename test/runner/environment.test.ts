/**
 * A stage's declared `environment` (e.g. the engine's MLC_PIPE_WINOGRAD) is part of its cache
 * key: setting or changing one of those variables makes the stage out of date; others do not.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planPipeline, runPipeline } from '../../src/index.ts';
import { NUMERICS_ENVIRONMENT } from '../../src/environment.ts';
import { cli, REPO, STAGE_API, tempProject } from './project.ts';

const STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'env', version: '1', description: 'writes its switch',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  environment: ['MLC_TEST_NUMERICS'],
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) { writeFileSync(ctx.out(ctx.params.out), process.env.MLC_TEST_NUMERICS ?? 'unset'); },
});
`;

afterEach(() => {
  delete process.env.MLC_TEST_NUMERICS;
  delete process.env.MLC_TEST_OTHER;
});

describe('stage environment in the cache key', () => {
  it('reruns a stage when a variable it declares changes, not for others', async () => {
    const dir = tempProject({ 'e.ts': STAGE, 'p.yaml': 'stages:\n  a: { uses: ./e.ts, with: { out: a.txt } }\n' });
    const file = path.join(dir, 'p.yaml');
    const actions = async () => (await planPipeline(file)).plan.map((s) => s.action);
    await runPipeline(file);
    expect(await actions()).toEqual(['skip']);
    process.env.MLC_TEST_OTHER = '1';
    expect(await actions()).toEqual(['skip']);
    process.env.MLC_TEST_NUMERICS = 'off';
    expect(await actions()).toEqual(['run']);
    await runPipeline(file);
    expect(await actions()).toEqual(['skip']);
    delete process.env.MLC_TEST_NUMERICS;
    expect(await actions()).not.toEqual(['skip']); // back to unset: the first run's result, from the run-cache
  });

  it('the plan says which variable changed, and "code changed" only when the code did too', async () => {
    const dir = tempProject({ 'e.ts': STAGE, 'p.yaml': 'stages:\n  a: { uses: ./e.ts, with: { out: a.txt } }\n' });
    const file = path.join(dir, 'p.yaml');
    const reasons = async () => (await planPipeline(file)).plan[0]!.reasons;
    await runPipeline(file);
    process.env.MLC_TEST_NUMERICS = 'off';
    expect(await reasons()).toEqual(['environment changed: MLC_TEST_NUMERICS (unset)→off']);
    const status = await cli(['status', 'p.yaml'], dir);
    expect(status.stdout).toContain('environment changed: MLC_TEST_NUMERICS (unset)→off');
    expect(status.stdout).not.toContain('code changed');
    await runPipeline(file);
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('off');
    process.env.MLC_TEST_NUMERICS = 'on';
    expect(await reasons()).toEqual(['environment changed: MLC_TEST_NUMERICS off→on']);
    delete process.env.MLC_TEST_NUMERICS;
    expect(await reasons()).toEqual(['restored from run-cache', 'environment changed: MLC_TEST_NUMERICS off→(unset)']);
    process.env.MLC_TEST_NUMERICS = 'on';
    writeFileSync(path.join(dir, 'e.ts'), `${STAGE}// edited\n`);
    expect(await reasons()).toEqual(['code changed: e.ts', 'environment changed: MLC_TEST_NUMERICS off→on']);
  });
});

describe('the engine switches', () => {
  /** Variables the engine reads that only set how much of the machine it uses or how it allocates. */
  const NOT_NUMERICS = ['MLC_PIPE_THREADS', 'MLC_PIPE_NATIVE_MALLOC'];

  it('every MLC_PIPE_* variable the engine reads is in NUMERICS_ENVIRONMENT or known not to change results', () => {
    const files = (dir: string): string[] =>
      readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && /\.(ts|cc|cpp|h)$/.test(e.name))
        .map((e) => path.join(e.parentPath, e.name));
    const read = new Set(
      [...files('src/engine'), ...files('native/src')].flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/MLC_PIPE_[A-Z_]+/g)].map((m) => m[0]),
      ),
    );
    expect(read.size).toBeGreaterThan(5);
    expect(
      [...read]
        .filter((v) => !(NUMERICS_ENVIRONMENT as readonly string[]).includes(v) && !NOT_NUMERICS.includes(v))
        .sort(),
    ).toEqual([]);
  });

  it('every built-in stage that starts the engine declares them', async () => {
    for (const name of ['train', 'evaluate', 'prune', 'convert']) {
      const def = (await import(path.join(REPO, 'stages', `${name}.ts`))).default as {
        environment?: readonly string[];
      };
      expect([name, def.environment]).toEqual([name, NUMERICS_ENVIRONMENT]);
    }
  });
});
