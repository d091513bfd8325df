/**
 * Executors are plugins: a toy in-memory executor (fixtures/memory-executor.ts), registered from
 * outside src/runner, runs a small pipeline; the runner schedules by the properties it declares.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_EXECUTORS, executorRegistry, readLock, runPipeline } from '../../src/index.ts';
import { resolveExecution } from '../../src/runner/executors/settings.ts';
import { memoryExecutor } from './fixtures/memory-executor.ts';
import { REPO, STAGE_API, tempProject } from './project.ts';

const STAGE = `import { readFileSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'join', version: '1', description: 'writes its word after its inputs',
  params: Type.Object({ word: Type.String({ description: 'Word.' }), from: Type.Array(Type.String(), { default: [], description: 'Inputs. Defaults to [].' }), out: Type.String({ description: 'Output.' }) }),
  resources: { cpu: 2 },
  inputs: (p) => p.from,
  outputs: (p) => [p.out],
  async run(ctx) {
    const before = ctx.params.from.map((f) => readFileSync(ctx.path(f), 'utf8')).join('+');
    writeFileSync(ctx.out(ctx.params.out), before ? before + '+' + ctx.params.word : ctx.params.word);
    return { metrics: { length: ctx.params.word.length } };
  },
});
`;

// Five independent stages (each asking for 2 CPUs), then one that joins them.
const PIPELINE = `stages:
  a: { uses: ./join.ts, with: { word: a, out: a.txt } }
  b: { uses: ./join.ts, with: { word: bb, out: b.txt } }
  c: { uses: ./join.ts, with: { word: ccc, out: c.txt } }
  e: { uses: ./join.ts, with: { word: e, out: e.txt } }
  f: { uses: ./join.ts, with: { word: f, out: f.txt } }
  z: { uses: ./join.ts, with: { word: z, from: [a.txt, b.txt, c.txt, e.txt, f.txt], out: z.txt } }
`;
const ALL = ['a', 'b', 'c', 'e', 'f', 'z'];

describe('executor plugins', () => {
  it('a toy executor registered from outside the runner runs a pipeline, scheduled by its declared properties', async () => {
    const dir = tempProject({ 'join.ts': STAGE, 'p.yaml': PIPELINE });
    const file = path.join(dir, 'p.yaml');
    const { plugin, log } = memoryExecutor();
    const executors = executorRegistry([plugin]);
    const summary = await runPipeline(file, { executors, execution: { executor: 'memory' } });
    expect(summary.failed).toEqual([]);
    expect(ALL.map((id) => summary.results.get(id)?.status)).toEqual(ALL.map(() => 'ok'));
    // Every job went through the toy; z only after its five inputs.
    expect([...log.jobs].sort()).toEqual(ALL);
    expect(log.jobs[5]).toBe('z');
    expect(readFileSync(path.join(dir, 'z.txt'), 'utf8')).toBe('a+bb+ccc+e+f+z');
    // defaultJobs 3 with resources enforced by the executor: three stages of 2 CPUs in flight at once.
    // A runner that reserved their CPUs in 3 slots would run one at a time; one that took the CPU
    // count as the default would run 2 at once on 2 cores, 5 on 5 or more.
    expect(log.peak).toBe(3);
    expect(log.closed).toBe(1);
    // Recorded exactly as a local run: the lock and the run-cache.
    const lock = readLock(summary.lockFile);
    expect(Object.keys(lock.stages).sort()).toEqual(ALL);
    expect(lock.stages.b!.metrics).toEqual({ length: 2 });
    expect(existsSync(path.join(dir, '.mlc', 'cache', 'runs'))).toBe(true);
    // A second run has nothing to do: no job reaches the executor.
    const again = await runPipeline(file, { executors, execution: { executor: 'memory' } });
    expect(ALL.map((id) => again.results.get(id)?.status)).toEqual(ALL.map(() => 'skipped'));
    expect(log.jobs).toHaveLength(6);
  });

  it('the registry: names resolve with a suggestion, the plugin checks its settings, a name is taken once', () => {
    const { plugin } = memoryExecutor();
    const executors = executorRegistry([plugin]);
    expect([...executors.keys()]).toEqual(['local', 'bullmq', 'memory']);
    expect([...BUILTIN_EXECUTORS.keys()]).toEqual(['local', 'bullmq']);
    expect(resolveExecution({}, { executor: 'memory' }, {}, executors)).toEqual({
      executor: 'memory',
      redis: undefined,
      queue: 'mlc-pipe',
      store: undefined,
    });
    expect(() => resolveExecution({}, { executor: 'memroy' }, {}, executors)).toThrow(
      expect.objectContaining({ message: '--executor memroy: unknown executor', hint: 'did you mean "memory"?' }),
    );
    expect(() => resolveExecution({}, { executor: 'memory' }, {}, BUILTIN_EXECUTORS)).toThrow(
      '--executor memory: unknown executor',
    );
    expect(() => resolveExecution({}, { executor: 'memory', queue: 'refused' }, {}, executors)).toThrow(
      'memory: no queues',
    );
    expect(() => executorRegistry([plugin], executors)).toThrow('executor memory is registered twice');
  });

  it("the pipeline schema's `executor:` names are the built-in executors", () => {
    const schema = JSON.parse(readFileSync(path.join(REPO, 'schemas', 'pipeline.schema.json'), 'utf8')) as {
      properties: { executor: { enum: string[] } };
    };
    expect(schema.properties.executor.enum).toEqual([...BUILTIN_EXECUTORS.keys()]);
  });
});
