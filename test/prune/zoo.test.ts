/**
 * Every zoo backbone: zero two channels of every prunable group (gamma = beta = 0 in its BN, and
 * beta = mean = 0 in any later BN of the chain so 0 stays 0) — for a group a grouped MixedConv2D
 * reads or produces, the first channel of every one of its groups instead — prune exactly those, and the pruned
 * model must give the original's outputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel, BACKBONES } from '../../src/model/zoo.ts';
import { analysePruning, findPruneGroups, pruneModel, readLayerGraph } from '../../src/prune/index.ts';
import { randomizeBatchNorm, setBnChannels } from './fixture.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const HEADS = [
  { name: 'h', classes: ['p', 'q', 'r'] },
  { name: 'k', classes: ['k'] },
];

/** Groups each backbone must have (at width 1/16, 20×28 input). */
const EXPECTED_GROUPS: Record<string, number> = {
  resnet18: 9, // stem + first conv of each of the 8 blocks
  'resnet18-v2': 9,
  resnext18: 9, // stem + each block's first conv, group-consistently through its grouped MixedConv2D
  'mobilenet-v2': 18, // expand convs (through the depthwise conv), one project conv, the head conv
  mixnet18: 9, // stem + each block's expand conv, through the depthwise MixedConv2D
  'tv-resnet18': 8, // each block's conv1 (the stem meets layer1's identity Adds)
  'tv-resnet34': 16,
  'tv-resnet50': 33, // each bottleneck's conv1 and conv2, and the stem (layer1.0 has a downsample: no Add)
  'tv-mobilenet-v2': 18, // 16 expand convs through the depthwise conv, features.17's project, features.18
};

/** Groups in residual mode (residual streams pruned as one group each). */
const EXPECTED_RESIDUAL_GROUPS: Record<string, number> = {
  resnet18: 13, // + one stream per stage: its projection conv and both blocks' second convs
  'resnet18-v2': 9, // pre-activation: the convs feeding an Add have no BN after them to rank by
  resnext18: 13, // + one stream per stage: its projection conv and both blocks' grouped MixedConv2D outputs
  'mobilenet-v2': 24, // + the project convs of each stage (and the stem with ir1's project)
  mixnet18: 13, // + one stream per stage
  'tv-resnet18': 12, // + one stream per stage
  'tv-resnet34': 20,
  'tv-resnet50': 37,
  'tv-mobilenet-v2': 23, // + the residual streams (at width 1/16, _make_divisible gives 64 and 96 both 8 channels: one stream)
};

describe('pruning the zoo', () => {
  for (const [name, residual] of Object.keys(BACKBONES).flatMap(
    (n) =>
      [
        [n, false],
        [n, true],
      ] as const,
  )) {
    it(`${name}${residual ? ' (residual)' : ''}: pruning zero channels keeps the outputs`, () => {
      const model = buildModel(name, { inputShape: [20, 28, 3], heads: HEADS, width: 0.0625, seed: 5 });
      randomizeBatchNorm(model, 5);
      const x = tf.randomNormal([2, 20, 28, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
      const groups = findPruneGroups(readLayerGraph(model.getConfig()), { residual });
      expect(groups).toHaveLength((residual ? EXPECTED_RESIDUAL_GROUPS : EXPECTED_GROUPS)[name]!);
      if (name === 'mixnet18') expect(groups[1]!.channelLayers.some((l) => l.includes('mixdw'))).toBe(true);
      if (name === 'resnext18') {
        // each block's first conv, read group-consistently by the block's grouped MixedConv2D
        const read = groups.filter((g) => g.consumers.some((c) => c.endsWith('_b_mixconv')));
        expect(read.map((g) => g.producer)).toEqual(
          ['s1', 's2', 's3', 's4'].flatMap((s) => [`${s}b1_a_conv`, `${s}b2_a_conv`]),
        );
        expect(read.every((g) => g.blocks && g.consumers.length === 1)).toBe(true);
        const streams = groups.filter((g) => g.producers.length > 1);
        if (residual) {
          // one residual stream per stage: both grouped MixedConv2D outputs and the projection conv, group-consistent (≥ 2 per group)
          expect(streams.map((g) => [...g.producers].sort())).toEqual(
            ['s1', 's2', 's3', 's4'].map((s) => [`${s}b1_b_mixconv`, `${s}b1_short_conv`, `${s}b2_b_mixconv`]),
          );
          expect(streams.every((g) => g.blocks && g.blocks.every((b) => b.min === 2))).toBe(true);
          expect(
            analysePruning(readLayerGraph(model.getConfig()), { residual }).skipped.map((s) => s.layer),
          ).not.toContain('s1b1_short_conv');
        } else {
          expect(streams).toHaveLength(0);
          expect(analysePruning(readLayerGraph(model.getConfig()), { residual }).skipped).toContainEqual({
            layer: 's1b1_short_conv',
            reason: 'channels reach Add s1b1_add',
          });
        }
      }
      const zeroed = groups.map((g) =>
        g.blocks ? g.blocks.flatMap((b) => Array.from({ length: b.groups }, (_, i) => b.start + i * b.size)) : [0, 2],
      );
      groups.forEach((g, gi) => {
        for (const bn of g.bns) setBnChannels(model, bn, zeroed[gi]!, { gamma: 0, beta: 0 });
        for (const l of g.channelLayers) {
          if (!g.bns.includes(l) && model.getLayer(l).getClassName() === 'BatchNormalization')
            setBnChannels(model, l, zeroed[gi]!, { beta: 0, mean: 0 });
        }
      });
      const { model: pruned, report } = pruneModel(model, {
        threshold: 1e-12,
        minChannels: 1,
        minFraction: 0,
        residual,
      });
      try {
        expect(report.layers.map((l) => l.total - l.kept)).toEqual(zeroed.map((z) => z.length));
        const a = tf.tidy(() => (model.predict(x) as tf.Tensor[]).map((t) => t.dataSync()));
        const b = tf.tidy(() => (pruned.predict(x) as tf.Tensor[]).map((t) => t.dataSync()));
        let m = 0;
        a.forEach((arr, i) => arr.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
        expect(m).toBeLessThan(1e-4);
        if (groups.length > 0) expect(report.params.after).toBeLessThan(report.params.before);
      } finally {
        x.dispose();
        model.dispose();
        pruned.dispose();
      }
    });
  }
});
