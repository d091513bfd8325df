/**
 * One `resolveThreads` drives both the CPU slots a model stage asks the scheduler for
 * (`resources.cpu`, via `engineCpus`) and the threads `startEngine` gives the engine, so the
 * scheduler never reserves every core while the engine uses MLC_PIPE_THREADS of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngine } from '../../src/engine/index.ts';
import { resolveThreads } from '../../src/engine/start/threads.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';
import { REPO } from '../runner/project.ts';

const hasNative = loadAddon().addon != null;
const pinned = process.env.MLC_PIPE_THREADS; // the test config pins one thread per fork

afterEach(() => {
  if (pinned === undefined) delete process.env.MLC_PIPE_THREADS;
  else process.env.MLC_PIPE_THREADS = pinned;
});

type Resources = (p: Record<string, unknown>) => { cpu: number };
const resourcesOf = async (stage: string): Promise<Resources> =>
  ((await import(path.join(REPO, 'stages', `${stage}.ts`))).default as { resources: Resources }).resources;

describe('one resolveThreads for the scheduler and the engine', () => {
  it('a model stage reserves the threads its engine will use: threads, else MLC_PIPE_THREADS, else every core', async () => {
    for (const stage of ['train', 'evaluate', 'prune', 'convert']) {
      const resources = await resourcesOf(stage);
      delete process.env.MLC_PIPE_THREADS;
      expect([stage, resources({ engine: 'native', threads: 0 }).cpu]).toEqual([stage, availableParallelism()]);
      expect([stage, resources({ engine: 'auto', threads: 3 }).cpu]).toEqual([stage, 3]);
      process.env.MLC_PIPE_THREADS = '2';
      expect([stage, resources({ engine: 'auto', threads: 0 }).cpu]).toEqual([stage, 2]);
      // The scheduler grants min(resources.cpu, --jobs); the engine then runs on exactly those.
      const granted = Math.min(resources({ engine: 'auto', threads: 0 }).cpu, 8);
      expect(resolveThreads(0, granted)).toBe(2);
      // Engines that run on one thread hold one slot.
      expect([
        stage,
        resources({ engine: 'cpu', threads: 0 }).cpu,
        resources({ engine: 'wasm', threads: 4 }).cpu,
      ]).toEqual([stage, 1, 1]);
    }
  });

  it.runIf(hasNative)('startEngine gives native the granted slots, or the threads param', async () => {
    delete process.env.MLC_PIPE_THREADS;
    const lines: string[] = [];
    const info = await startEngine({ engine: 'native', threads: 0 }, { cpus: 2, log: (m) => lines.push(m) });
    expect(info.notes).toContain('threads=2');
    expect(lines[0]).toBe('engine used: native, 2 threads');
    expect((await startEngine({ engine: 'native', threads: 3 }, { cpus: 2 })).notes).toContain('threads=3');
    process.env.MLC_PIPE_THREADS = '1';
    expect((await startEngine({ engine: 'native' }, { cpus: 2 })).notes).toContain('threads=1');
  });

  it('startEngine starts the engine the params name', async () => {
    const lines: string[] = [];
    const info = await startEngine({ engine: 'cpu', threads: 0 }, { cpus: 4, log: (m) => lines.push(m) });
    expect(info.backend).toBe('cpu');
    expect(lines[0]).toBe('engine used: cpu, 1 thread');
  });
});

/** Files under `dir` (relative to the repo) whose code calls `initEngine(` or a backend starter. */
function directStarts(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(REPO, rel), { withFileTypes: true })) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) walk(child);
      else if (
        /\.ts$/.test(e.name) &&
        /\b(initEngine|startNative|startWasm|startWebgpu|startTensorflow)\(/.test(
          readFileSync(path.join(REPO, child), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''),
        )
      )
        out.push(child);
    }
  };
  walk(dir);
  return out;
}

describe('startEngine is the one way an entry point starts the engine', () => {
  it('no ML area, stage or CLI command calls initEngine or a backend starter; only src/engine/start does', () => {
    const outside = ['src', 'stages']
      .flatMap(directStarts)
      .filter((f) => !f.startsWith(path.join('src', 'engine', 'start') + path.sep));
    expect(outside).toEqual([]);
    expect(directStarts(path.join('src', 'engine', 'start')).length).toBeGreaterThan(0); // the scan sees the calls where they are
  });
});
