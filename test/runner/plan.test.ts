/**
 * planRun is pure: decisions and reasons from the lock and the current states.
 */
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/pipeline/graph.ts';
import type { StageNode } from '../../src/pipeline/types.ts';
import type { LockFile } from '../../src/runner/lock/lock-file.ts';
import { paramChanges, planRun, type StageState } from '../../src/runner/plan/plan.ts';

function node(id: string, inputs: string[], outputs: string[]): StageNode {
  return {
    kind: 'cmd',
    id,
    template: id,
    needs: [],
    inputs,
    outputs,
    resources: { cpu: 1, gpu: 0 },
    cmd: ['true'],
    shell: false,
    code: [],
    params: {},
    env: {},
  };
}

const g = buildGraph([
  node('gen', ['raw'], ['data.txt']),
  node('train', ['data.txt'], ['model']),
  node('eval', ['model'], ['report']),
  node('side', ['other'], ['side.txt']),
]);

function states(over: Partial<Record<string, Partial<StageState>>> = {}): Map<string, StageState> {
  const base: Record<string, StageState> = {
    gen: {
      code: 'c1',
      params: { n: 1 },
      inputs: { raw: 'h-raw' },
      outputs: { 'data.txt': 'h-data' },
      runCached: false,
    },
    train: {
      code: 'c2',
      params: { epochs: 3, opt: { lr: 0.1 } },
      inputs: { 'data.txt': 'h-data' },
      outputs: { model: 'h-model' },
      runCached: false,
    },
    eval: { code: 'c3', params: {}, inputs: { model: 'h-model' }, outputs: { report: 'h-report' }, runCached: false },
    side: { code: 'c4', params: {}, inputs: { other: 'h-other' }, outputs: { 'side.txt': 'h-side' }, runCached: false },
  };
  return new Map(Object.entries(base).map(([id, s]) => [id, { ...s, ...over[id] }]));
}

function lockOf(s: Map<string, StageState>): LockFile {
  const stages: LockFile['stages'] = {};
  for (const [id, st] of s)
    stages[id] = {
      code: st.code,
      params: st.params,
      inputs: st.inputs as Record<string, string>,
      outputs: st.outputs as Record<string, string>,
    };
  return { version: 1, stages };
}

const lock = lockOf(states());
const summary = (p: ReturnType<typeof planRun>) => p.stages.map((s) => `${s.action} ${s.id}: ${s.reasons.join('; ')}`);

describe('planRun', () => {
  it('skips everything when states match the lock', () => {
    expect(summary(planRun(g, lock, states()))).toEqual([
      'skip gen: up to date',
      'skip train: up to date',
      'skip eval: up to date',
      'skip side: up to date',
    ]);
  });

  it('names each reason and carries changes downstream', () => {
    const p = planRun(
      g,
      lock,
      states({ train: { params: { epochs: 5, opt: { lr: 0.1 } } }, side: { outputs: { 'side.txt': null } } }),
    );
    expect(summary(p)).toEqual([
      'skip gen: up to date',
      'run train: param changed: epochs 3→5',
      'run eval: upstream changed: train',
      'run side: output missing: side.txt',
    ]);
    const q = planRun(g, lock, states({ gen: { code: 'c1b', inputs: { raw: 'h-raw2' } }, eval: { params: { k: 1 } } }));
    expect(summary(q)).toEqual([
      'run gen: code changed; input changed: raw',
      'run train: upstream changed: gen',
      'run eval: param changed: k (unset)→1; upstream changed: train',
      'skip side: up to date',
    ]);
  });

  it('restores from the run-cache when the key was seen, never runs a stage with no lock entry as up to date', () => {
    const noLock: LockFile = { version: 1, stages: { ...lock.stages } };
    delete noLock.stages.side;
    const p = planRun(g, noLock, states({ train: { params: { epochs: 9, opt: { lr: 0.1 } }, runCached: true } }));
    expect(summary(p)).toEqual([
      'skip gen: up to date',
      'restore train: restored from run-cache; param changed: epochs 3→9',
      'run eval: upstream changed: train',
      'run side: never run',
    ]);
  });

  it('selects targets with out-of-date ancestors, --downstream and --force', () => {
    const s = states({ gen: { inputs: { raw: 'new' } } });
    expect(summary(planRun(g, lock, s, { targets: ['train'] }))).toEqual([
      'run gen: input changed: raw',
      'run train: upstream changed: gen',
    ]);
    expect(summary(planRun(g, lock, states(), { targets: ['train'], downstream: true, force: true }))).toEqual([
      'skip gen: up to date',
      'run train: forced',
      'run eval: forced',
    ]);
  });

  it('paramChanges flattens nested params', () => {
    expect(paramChanges({ opt: { lr: 0.1, m: 0.9 }, a: [1] }, { opt: { lr: 0.01, m: 0.9 }, a: [1, 2] })).toEqual([
      'param changed: opt.lr 0.1→0.01',
      'param changed: a [1]→[1,2]',
    ]);
  });
});
