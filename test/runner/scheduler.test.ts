/**
 * The scheduler: slot and GPU limits, dependency order, failure handling. Tasks are promises the
 * test settles by hand, so concurrency is observed exactly (no timing).
 */
import { describe, expect, it } from 'vitest';
import { schedule, type SchedulerTask } from '../../src/runner/scheduler.ts';

function harness(tasks: SchedulerTask[], opts: { jobs: number; gpus: number; keepGoing?: boolean; fail?: string[] }) {
  const running = new Set<string>();
  const log: string[] = [];
  let peak = 0;
  const started: string[] = [];
  const done = schedule(tasks, {
    ...opts,
    start: async (id) => {
      running.add(id);
      started.push(id);
      peak = Math.max(peak, running.size);
      log.push(`start ${id} [${[...running].sort().join(',')}]`);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      running.delete(id);
      if (opts.fail?.includes(id)) throw new Error(`${id} failed`);
    },
    onSkip: (id, reason) => log.push(`skip ${id}: ${reason}`),
  });
  return { done, log, started, peak: () => peak };
}

const t = (id: string, upstream: string[] = [], cpu = 1, gpu = 0): SchedulerTask => ({ id, upstream, cpu, gpu });

describe('schedule', () => {
  it('runs independent tasks up to the slot count, dependents after their upstream', async () => {
    const h = harness([t('a'), t('b'), t('c'), t('d', ['a', 'b'])], { jobs: 2, gpus: 0 });
    const out = await h.done;
    expect(h.peak()).toBe(2);
    expect(h.log[0]).toBe('start a [a]');
    expect(h.log[1]).toBe('start b [a,b]');
    expect(h.started.indexOf('d')).toBeGreaterThan(h.started.indexOf('a'));
    expect([...out.values()].every((o) => o.status === 'ok')).toBe(true);
  });

  it('respects cpu and gpu reservations (gpus > 0), ignores gpu requests with gpus = 0', async () => {
    const gpuTasks = [t('g1', [], 1, 1), t('g2', [], 1, 1), t('c1')];
    const h = harness(gpuTasks, { jobs: 4, gpus: 1 });
    await h.done;
    expect(h.log.filter((l) => l.startsWith('start')).some((l) => l.includes('g1,g2'))).toBe(false);
    const free = harness(gpuTasks, { jobs: 4, gpus: 0 });
    await free.done;
    expect(free.peak()).toBe(3);
    const wide = harness([t('w', [], 2), t('n')], { jobs: 2, gpus: 0 });
    await wide.done;
    expect(wide.peak()).toBe(1);
  });

  it('skips dependents of a failure by name; stops starting new tasks unless keepGoing', async () => {
    const tasks = [t('bad'), t('dep', ['bad']), t('x'), t('y', ['x'])];
    const stop = harness(tasks, { jobs: 1, gpus: 0, fail: ['bad'] });
    const o1 = await stop.done;
    expect(o1.get('bad')!.status).toBe('failed');
    expect(o1.get('dep')).toEqual({ status: 'skipped', reason: 'upstream failed: bad' });
    expect(o1.get('x')).toEqual({ status: 'skipped', reason: 'not run: an earlier stage failed' });
    const keep = harness(tasks, { jobs: 1, gpus: 0, fail: ['bad'], keepGoing: true });
    const o2 = await keep.done;
    expect(o2.get('dep')).toEqual({ status: 'skipped', reason: 'upstream failed: bad' });
    expect(o2.get('y')!.status).toBe('ok');
  });
});
