/**
 * How a gang reaches the executor: the train stage declares one when `distributed.ranks` > 1, the
 * loader records it on the node, and the runner hands it (`StageLimits.gang`) only to an executor
 * with the `gang` property; each member holds its share of the stage's resources.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/index.ts';
import { limitsOf } from '../../../src/runner/stage-limits.ts';
import { memberResources } from '../../../src/runner/executors/bullmq/gang-protocol.ts';
import { bullmqExecutor } from '../../../src/runner/executors/bullmq/plugin.ts';
import { localExecutor } from '../../../src/runner/executors/local/plugin.ts';
import { tempProject } from '../project.ts';

const train = (distributed: string) => `stages:
  train:
    uses: train
    with: { train_labels: t.txt, val_labels: v.txt, classes: c.json, out: m, engine: native, threads: 2, distributed: ${distributed} }
`;

async function trainNode(distributed: string) {
  const dir = tempProject({ 'p.yaml': train(distributed), 't.txt': '', 'v.txt': '', 'c.json': '{}' });
  const p = await loadPipeline(path.join(dir, 'p.yaml'));
  return p.stages.find((s) => s.id === 'train')!;
}

describe('a stage gang', () => {
  it('is declared by train for ranks > 1 and reaches only executors that place gangs', async () => {
    const node = await trainNode('{ ranks: 3, gang_timeout_s: 42 }');
    expect(node.kind === 'module' && node.gang).toMatchObject({ size: 3, timeout: 42 });
    expect(node.resources).toEqual({ cpu: 6, gpu: 0 }); // ranks × threads
    expect(bullmqExecutor.properties.gang).toBe(true);
    expect(localExecutor.properties.gang).toBe(false);
    expect(limitsOf(node, bullmqExecutor.properties.gang).gang).toMatchObject({ size: 3, timeout: 42 });
    expect(limitsOf(node, localExecutor.properties.gang).gang).toBeUndefined(); // the stage launches its ranks itself
    expect(memberResources(node.resources, 3)).toEqual({ cpu: 2, gpu: 0 }); // threads per member
    expect(memberResources({ cpu: 4, gpu: 1 }, 2)).toEqual({ cpu: 2, gpu: 1 });
  });

  it('is absent for one rank, and gang_timeout_s defaults to 300 s', async () => {
    const one = await trainNode('{ ranks: 1 }');
    expect(one.kind === 'module' && one.gang).toBeUndefined();
    const two = await trainNode('{ ranks: 2 }');
    expect(two.kind === 'module' && two.gang).toMatchObject({ size: 2, timeout: 300 });
  });
});
