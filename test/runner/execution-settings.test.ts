/**
 * Choosing the executor: the flag over the environment over the pipeline's keys, with clear
 * errors for an unknown executor and for bullmq without Redis or a store.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveExecution } from '../../src/runner/executors/settings.ts';
import { cli, tempProject } from './project.ts';

describe('execution settings', () => {
  const declared = { executor: 'bullmq', redis: 'redis://pipeline:1', queue: 'pq', store: '/mnt/pipeline' };

  it('flag > environment > pipeline > default', () => {
    expect(resolveExecution({}, {}, {})).toEqual({
      executor: 'local',
      redis: undefined,
      queue: 'mlc-pipe',
      store: undefined,
    });
    expect(resolveExecution(declared, {}, {})).toEqual({
      executor: 'bullmq',
      redis: 'redis://pipeline:1',
      queue: 'pq',
      store: '/mnt/pipeline',
    });
    const env = { MLC_REDIS_URL: 'redis://env:2', MLC_QUEUE: 'eq', MLC_STORE: '/mnt/env' };
    expect(resolveExecution(declared, {}, env)).toEqual({
      executor: 'bullmq',
      redis: 'redis://env:2',
      queue: 'eq',
      store: '/mnt/env',
    });
    expect(
      resolveExecution(declared, { executor: 'local', redis: 'redis://flag:3', queue: 'fq', store: 'rel' }, env),
    ).toEqual({
      executor: 'local',
      redis: 'redis://flag:3',
      queue: 'fq',
      store: path.resolve('rel'),
    });
  });

  it('names what is missing', () => {
    expect(() => resolveExecution({}, { executor: 'bullmg' }, {})).toThrow('--executor bullmg: unknown executor');
    expect(() => resolveExecution({ executor: 'bullmq' }, {}, {})).toThrow('executor bullmq needs a Redis URL');
    expect(() => resolveExecution({ executor: 'bullmq', redis: 'redis://x:1' }, {}, {})).toThrow(
      'executor bullmq needs a shared store',
    );
  });

  it('from the CLI: an unknown executor is a usage error with a suggestion; a bad redis key fails validation at its line', async () => {
    const dir = tempProject({
      'p.yaml': 'stages:\n  s: { cmd: "true", outs: [] }\n',
      'q.yaml': 'redis: localhost:6379\nstages:\n  s: { cmd: "true" }\n',
    });
    const r = await cli(['run', 'p.yaml', '--executor', 'bullmg'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--executor bullmg: unknown executor');
    expect(r.stderr).toContain('did you mean "bullmq"?');
    const v = await cli(['validate', 'q.yaml'], dir);
    expect(v.code).toBe(2);
    expect(v.stderr + v.stdout).toMatch(/q\.yaml:1:\d+ redis/);
  });
});
