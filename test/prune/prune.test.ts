import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import {
  analysePruning,
  findPruneGroups,
  modelCost,
  pruneModel,
  readLayerGraph,
  selectChannels,
} from '../../src/prune/index.ts';
import { buildFixture, randomImages, setBnChannels } from './fixture.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

function outputs(model: tf.LayersModel, x: tf.Tensor): Float32Array[] {
  return tf.tidy(() => (model.predict(x) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((arr, i) => arr.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

describe('findPruneGroups', () => {
  it('finds conv→BN groups whose channels reach only convs/dense, never an Add', () => {
    const model = buildFixture();
    try {
      const groups = findPruneGroups(readLayerGraph(model.getConfig()));
      expect(groups.map((g) => [g.producer, g.bn, g.channelLayers, g.consumers, g.channels])).toEqual([
        ['c2', 'bn2', ['bn2', 'r2'], ['c3'], 12],
        ['c4', 'bn4', ['bn4', 'r4', 'dw', 'bn5', 'r5'], ['c5'], 16],
        ['c5', 'bn6', ['bn6', 'r6'], ['c6'], 8],
        ['c6', 'bn7', ['bn7', 'r7', 'pool', 'gap'], ['digit', 'dress'], 10],
      ]);
    } finally {
      model.dispose();
    }
  });
});

describe('analysePruning', () => {
  it('says why each other conv is kept whole', () => {
    const model = buildFixture();
    try {
      expect(analysePruning(readLayerGraph(model.getConfig())).skipped).toEqual([
        { layer: 'c1', reason: 'channels reach Add add' },
        { layer: 'c3', reason: 'channels reach Add add' },
      ]);
    } finally {
      model.dispose();
    }
  });
});

describe('residual mode', () => {
  it('prunes the convs that meet at an Add together, exactly when their channels are zero', () => {
    const model = buildFixture();
    const groups = findPruneGroups(readLayerGraph(model.getConfig()), { residual: true });
    expect(groups[0]).toEqual({
      producer: 'c1',
      bn: 'bn1',
      producers: ['c1', 'c3'],
      bns: ['bn1', 'bn3'],
      channelLayers: ['bn1', 'r1', 'bn3', 'add', 'r3'],
      consumers: ['c2', 'c4'],
      channels: 8,
    });
    expect(groups.map((g) => g.producer)).toEqual(['c1', 'c2', 'c4', 'c5', 'c6']);
    setBnChannels(model, 'bn1', [3, 5], { gamma: 0, beta: 0 });
    setBnChannels(model, 'bn3', [3, 5], { gamma: 0, beta: 0 });
    const x = randomImages(2);
    const { model: pruned, report } = pruneModel(model, {
      threshold: 1e-12,
      minChannels: 1,
      minFraction: 0,
      residual: true,
    });
    try {
      expect(report.residual).toBe(true);
      expect(report.layers[0]).toEqual({ layer: 'c1', bn: 'bn1', coupled: ['c1', 'c3'], kept: 6, total: 8 });
      expect(pruned.getLayer('c3').getWeights()[0]!.shape).toEqual([3, 3, 12, 6]);
      expect(pruned.getLayer('c4').getWeights()[0]!.shape).toEqual([1, 1, 6, 16]);
      expect(maxAbsDiff(outputs(model, x), outputs(pruned, x))).toBeLessThan(1e-5);
      // Ranking: mean |gamma| over bn1 and bn3: channel 0 scores (0.01 + 0.05) / 2 = 0.03.
      setBnChannels(model, 'bn1', [0], { gamma: 0.01 });
      setBnChannels(model, 'bn3', [0], { gamma: -0.05 });
      for (const [threshold, kept] of [
        [0.02, 6],
        [0.04, 5],
      ] as const) {
        const again = pruneModel(model, { threshold, minChannels: 1, minFraction: 0, residual: true });
        expect(again.report.layers[0]!.kept, `threshold ${threshold}`).toBe(kept);
        again.model.dispose();
      }
    } finally {
      x.dispose();
      model.dispose();
      pruned.dispose();
    }
  });
});

describe('selectChannels', () => {
  it('prunes the globally smallest |gamma| by ratio and keeps the per-layer floor', () => {
    const scores = [new Float32Array([0.9, -0.01, 0.5, 0.02]), new Float32Array([0.03, 0.8, -0.7, 0.6, 0.04, 0.3])];
    // 10 channels, ratio 0.4 → the 4 smallest |gamma| (0.01, 0.02, 0.03, 0.04) go; the cut is 0.3.
    const sel = selectChannels(scores, { ratio: 0.4, minChannels: 1, minFraction: 0 });
    expect(sel.keep).toEqual([
      [0, 2],
      [1, 2, 3, 5],
    ]);
    expect(sel.threshold).toBeCloseTo(0.3, 6);
    // A floor of 3 per layer brings back the strongest pruned channel of the first layer (0.02 at 3).
    expect(selectChannels(scores, { ratio: 0.4, minChannels: 3, minFraction: 0 }).keep).toEqual([
      [0, 2, 3],
      [1, 2, 3, 5],
    ]);
    // minFraction 0.9 of 6 → 6 kept.
    expect(selectChannels(scores, { ratio: 0.4, minChannels: 1, minFraction: 0.9 }).keep[1]).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(selectChannels(scores, { threshold: 0.55, minChannels: 1, minFraction: 0 }).keep).toEqual([[0], [1, 2, 3]]);
  });

  it('rejects a ratio outside [0, 1) with the value received', () => {
    expect(() => selectChannels([], { ratio: 1.5 })).toThrow('ratio must be in [0, 1), received 1.5');
  });
});

describe('pruneModel', () => {
  it('gives the same outputs when the pruned channels contribute exactly zero', () => {
    const model = buildFixture();
    // Zero gamma and beta → BN output 0 → ReLU 0: those channels add nothing downstream.
    setBnChannels(model, 'bn2', [1, 4, 5, 9], { gamma: 0, beta: 0 });
    setBnChannels(model, 'bn4', [0, 3, 7, 8, 15], { gamma: 0, beta: 0 });
    // Through the depthwise chain the second BN must also map 0 to 0 for those channels.
    setBnChannels(model, 'bn5', [0, 3, 7, 8, 15], { beta: 0, mean: 0 });
    setBnChannels(model, 'bn6', [2, 6], { gamma: 0, beta: 0 });
    setBnChannels(model, 'bn7', [0, 1, 2], { gamma: 0, beta: 0 });
    const x = randomImages(3);
    const { model: pruned, report } = pruneModel(model, { threshold: 1e-12, minChannels: 1, minFraction: 0 });
    try {
      expect(report.layers.map((l) => [l.layer, l.kept, l.total])).toEqual([
        ['c2', 8, 12],
        ['c4', 11, 16],
        ['c5', 6, 8],
        ['c6', 7, 10],
      ]);
      expect(pruned.getLayer('c3').getWeights()[0]!.shape).toEqual([3, 3, 8, 8]);
      expect(pruned.getLayer('dw').getWeights()[0]!.shape).toEqual([3, 3, 11, 1]);
      expect(pruned.getLayer('digit').getWeights()[0]!.shape).toEqual([7, 3]);
      const diff = maxAbsDiff(outputs(model, x), outputs(pruned, x));
      expect(diff).toBeLessThan(1e-5);
      // The removed channels were doing something before they were zeroed: a sanity check that the
      // comparison above can fail (pruning the same channels of an untouched model changes outputs).
      const fresh = buildFixture();
      const again = pruneModel(fresh, { ratio: 0.3 });
      expect(maxAbsDiff(outputs(fresh, x), outputs(again.model, x))).toBeGreaterThan(1e-3);
      fresh.dispose();
      again.model.dispose();
    } finally {
      x.dispose();
      model.dispose();
      pruned.dispose();
    }
  });

  it('reports params and MACs that match a hand count', () => {
    const model = buildFixture();
    const { model: pruned, report } = pruneModel(model, { ratio: 0.5, minChannels: 2, minFraction: 0 });
    try {
      const k = Object.fromEntries(report.layers.map((l) => [l.layer, l.kept]));
      const c2 = k.c2!,
        c4 = k.c4!,
        c5 = k.c5!,
        c6 = k.c6!;
      // 8×8 everywhere ('same', stride 1), pool → 4×4 then GAP.
      const macs = (cin: number, cout: number, kk: number) => 64 * kk * kk * cin * cout;
      const expectedMacs =
        macs(3, 8, 3) +
        macs(8, c2, 3) +
        macs(c2, 8, 3) +
        macs(8, c4, 1) +
        64 * 9 * c4 +
        macs(c4, c5, 1) +
        macs(c5, c6, 3) +
        c6 * 3 +
        c6 * 1;
      const bnParams = 4 * (8 + c2 + 8 + c4 + c4 + c5 + c6);
      const expectedParams =
        27 * 8 + 72 * c2 + 9 * c2 * 8 + 8 * c4 + 9 * c4 + c4 * c5 + 9 * c5 * c6 + (c6 * 3 + 3) + (c6 + 1) + bnParams;
      expect(report.macs.after).toBe(expectedMacs);
      expect(report.flops.after).toBe(2 * expectedMacs);
      expect(report.params.after).toBe(expectedParams);
      expect(modelCost(model).params).toBe(report.params.before);
      expect(report.params.after).toBeLessThan(report.params.before);
      expect(report.channels).toEqual({ before: 46, after: c2 + c4 + c5 + c6 });
    } finally {
      model.dispose();
      pruned.dispose();
    }
  });

  it('leaves no tensors behind', () => {
    const model = buildFixture();
    const before = tf.memory().numTensors;
    const { model: pruned } = pruneModel(model, { ratio: 0.3 });
    pruned.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('selectChannels with ties', () => {
  it("prunes exactly floor(ratio·N) channels when every |gamma| is equal (untrained net), evenly from each layer's end", () => {
    const ones = [new Float32Array(4).fill(1), new Float32Array(6).fill(1)];
    // 5 of 10 go; by (c+1)/n descending: L1c5 (1), L0c3 (1), L1c4 (.83), L0c2 (.75), L1c3 (.67).
    expect(selectChannels(ones, { ratio: 0.5, minChannels: 1, minFraction: 0 }).keep).toEqual([
      [0, 1],
      [0, 1, 2],
    ]);
  });
});

describe('modelCost', () => {
  it('counts MixedConv2D parts: depthwise k·k·c and grouped k·k·(c/g)·c MACs per position', async () => {
    const { MixedConv2D } = await import('../../src/model/layers/register.ts');
    const input = tf.input({ shape: [6, 4, 8] });
    const y = new MixedConv2D({
      parts: [
        { channels: 4, kernel: 3, groups: 4 },
        { channels: 4, kernel: 5, groups: 2 },
      ],
      strides: 2,
    }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    try {
      // stride 2 'same' on 6×4 → 3×2 positions; part 0: 9·4, part 1: 25·2·4.
      expect(modelCost(model).macs).toBe(6 * (9 * 4 + 25 * 2 * 4));
      expect(modelCost(model).params).toBe(9 * 4 + 25 * 2 * 4);
    } finally {
      model.dispose();
    }
  });
});
