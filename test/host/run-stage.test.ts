/**
 * The stage host on its own, with an in-memory transport: what a queue worker does.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStage, type StageIO, type StageJob } from '../../src/host/index.ts';
import { STAGE_API, tempProject } from '../runner/project.ts';

const STAGE = `import { writeFileSync, mkdirSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'echo', version: '3', description: 'writes its param',
  params: Type.Object({ word: Type.String({ description: 'Word.' }) }),
  inputs: () => [],
  outputs: () => ['out/word.txt', 'dir'],
  async run(ctx) {
    ctx.progress('writing');
    ctx.log('word is ' + ctx.params.word);
    writeFileSync(ctx.out('out/word.txt'), ctx.params.word);
    writeFileSync(ctx.out('dir/a/b.txt'), 'nested');
    writeFileSync(ctx.out('dir/c.txt'), 'again');
    if (ctx.params.word === 'boom') throw new Error('asked to fail');
    return { metrics: { length: ctx.params.word.length, cwd: ctx.path('x') } };
  },
});
`;

function recorder(signal = new AbortController().signal) {
  const calls: string[] = [];
  const io: StageIO = {
    log: (l) => calls.push(`log ${l}`),
    progress: (m) => calls.push(`progress ${m}`),
    output: (d, p) => calls.push(`output ${d} ${p}`),
    signal,
  };
  return { io, calls };
}

function moduleJob(dir: string, word: string): StageJob {
  return {
    kind: 'module',
    id: 'echo',
    module: { uses: './echo.ts', path: path.join(dir, 'echo.ts') },
    params: { word },
    cwd: dir,
    inputs: [],
    outputs: { 'out/word.txt': path.join(dir, 'tmp', 'w'), dir: path.join(dir, 'tmp', 'd') },
    code: { hash: 'abc', version: '3' },
  };
}

describe('runStage', () => {
  it('runs a module stage in-process and reports log, progress and each output once through io', async () => {
    const dir = tempProject({ 'echo.ts': STAGE });
    const { io, calls } = recorder();
    const r = await runStage(moduleJob(dir, 'hello'), io);
    expect(r).toEqual({ metrics: { length: 5, cwd: path.join(dir, 'x') }, written: ['out/word.txt', 'dir'] });
    expect(calls).toEqual([
      'progress writing',
      'log word is hello',
      `output out/word.txt ${path.join(dir, 'tmp', 'w')}`,
      `output dir ${path.join(dir, 'tmp', 'd')}`,
    ]);
    expect(readFileSync(path.join(dir, 'tmp', 'w'), 'utf8')).toBe('hello');
    expect(readFileSync(path.join(dir, 'tmp', 'd', 'a', 'b.txt'), 'utf8')).toBe('nested');
  });

  it('rejects with the stage error, and refuses an aborted job before importing anything', async () => {
    const dir = tempProject({ 'echo.ts': STAGE });
    await expect(runStage(moduleJob(dir, 'boom'), recorder().io)).rejects.toThrow('asked to fail');
    const c = new AbortController();
    c.abort();
    const fresh = tempProject({ 'echo.ts': STAGE });
    const job = moduleJob(fresh, 'x');
    await expect(runStage(job, recorder(c.signal).io)).rejects.toThrow('stage echo: cancelled before it started');
    expect(existsSync(path.join(fresh, 'tmp'))).toBe(false);
  });

  it('names a module that is not a stage', async () => {
    const dir = tempProject({ 'echo.ts': 'export default 1;\n' });
    await expect(runStage(moduleJob(dir, 'x'), recorder().io)).rejects.toThrow(
      `stage echo: ${path.join(dir, 'echo.ts')} does not default-export a stage`,
    );
  });

  it('runs a cmd stage with its params in the environment and lists what it wrote', async () => {
    const dir = tempProject({});
    const { io, calls } = recorder();
    const job: StageJob = {
      kind: 'cmd',
      id: 'sh',
      cmd: 'echo "$MLC_PARAM_GREETING $MLC_STAGE_ID" > hi.txt; echo done',
      shell: true,
      env: {},
      params: { greeting: 'hey' },
      cwd: dir,
      inputs: [],
      outputs: { 'hi.txt': path.join(dir, 'hi.txt'), 'never.txt': path.join(dir, 'never.txt') },
      code: { hash: 'h' },
    };
    const r = await runStage(job, io);
    expect(r).toEqual({ written: ['hi.txt'] });
    expect(readFileSync(path.join(dir, 'hi.txt'), 'utf8')).toBe('hey sh\n');
    expect(calls).toEqual([`log $ ${job.cmd}`, 'log done']);
  });
});
