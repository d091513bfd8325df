/**
 * Group-consistent pruning: resnext18's grouped MixedConv2D inputs (and, in residual mode, outputs
 * with the rest of the stage's residual stream) lose the same number of channels in every group of a part, mobilenet-v2's depthwise convs lose the channels of the
 * expand conv before them; the pruned models build and hold exactly the kept slices of the
 * original weights (found independently from the distinct BN gammas), and ratio 0 changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { compileInference } from '../../src/model/inference/compile.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { MixedConvPart } from '../../src/model/layers/mixed-conv.ts';
import { pruneModel } from '../../src/prune/index.ts';
import { randomizeBatchNorm } from './fixture.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

const HEADS = [
  { name: 'h', classes: ['p', 'q', 'r'] },
  { name: 'k', classes: ['k'] },
];
const SHAPE: [number, number, number] = [20, 28, 3];

/** Kept channel indices of `bn`: where the original's (distinct) gammas reappear in the pruned BN. */
function keptOf(orig: tf.LayersModel, pruned: tf.LayersModel, bn: string): number[] {
  const a = Array.from(orig.getLayer(bn).getWeights()[0]!.dataSync());
  const b = Array.from(pruned.getLayer(bn).getWeights()[0]!.dataSync());
  expect(new Set(a).size).toBe(a.length);
  return b.map((v) => a.indexOf(v));
}

/** w[..., idx along axis, ...] as nested arrays, by plain index arithmetic. */
function take(t: tf.Tensor, axis: number, idx: number[]): tf.Tensor {
  return tf.tidy(() =>
    tf.concat(
      idx.map((i) =>
        t.slice(
          t.shape.map((_, d) => (d === axis ? i : 0)),
          t.shape.map((s, d) => (d === axis ? 1 : s)),
        ),
      ),
      axis,
    ),
  );
}

function maxDiff(a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[]): number {
  const xs = Array.isArray(a) ? a : [a];
  const ys = Array.isArray(b) ? b : [b];
  let m = 0;
  xs.forEach((x, i) => {
    const u = x.dataSync();
    const v = ys[i]!.dataSync();
    expect(v.length).toBe(u.length);
    u.forEach((p, j) => (m = Math.max(m, Math.abs(p - v[j]!))));
  });
  return m;
}

/** Largest difference between `model.predict` and the compiled (BN-folded) graph on a random batch. */
function compiledDiff(model: tf.LayersModel, seed: number): number {
  const x = tf.randomNormal([2, ...SHAPE], 0, 1, 'float32', seed) as tf.Tensor4D;
  const compiled = compileInference(model);
  try {
    const a = model.predict(x) as tf.Tensor[];
    const b = compiled.predict(x) as tf.Tensor[];
    const m = maxDiff(a, b);
    tf.dispose([...a, ...b]);
    return m;
  } finally {
    compiled.dispose();
    x.dispose();
  }
}

describe('group-consistent pruning', () => {
  it('resnext18: every group of a grouped MixedConv2D part keeps as many input channels, with the original kernel rows', () => {
    const model = buildModel('resnext18', { inputShape: SHAPE, heads: HEADS, width: 0.25, seed: 4 });
    randomizeBatchNorm(model, 4);
    const { model: pruned, report } = pruneModel(model, { ratio: 0.4, minChannels: 1, minFraction: 0 });
    try {
      const mixed = report.layers.filter((l) => l.layer.endsWith('_a_conv'));
      expect(mixed).toHaveLength(8);
      expect(mixed.some((l) => l.kept < l.total)).toBe(true);
      for (const l of mixed) {
        const block = l.layer.replace(/_a_conv$/, '');
        const kept = keptOf(model, pruned, `${block}_a_bn`);
        expect(kept).toHaveLength(l.kept);
        // conv_a: output filters = the kept ones
        const ka = model.getLayer(l.layer).getWeights()[0]!;
        const kaNew = pruned.getLayer(l.layer).getWeights()[0]!;
        // s1b1 reads the (pruned) stem; every other block reads an unpruned residual stream
        const rows = kaNew.shape[2] === ka.shape[2] ? [...Array(ka.shape[2]).keys()] : keptOf(model, pruned, 'stem_bn');
        expect(maxDiff(kaNew, take(take(ka, 3, kept), 2, rows))).toBe(0);
        const mix = `${block}_b_mixconv`;
        const parts = (model.getLayer(mix).getConfig() as unknown as { parts: MixedConvPart[] }).parts;
        const newParts = (pruned.getLayer(mix).getConfig() as unknown as { parts: MixedConvPart[] }).parts;
        const kOld = model.getLayer(mix).getWeights();
        const kNew = pruned.getLayer(mix).getWeights();
        let start = 0;
        parts.forEach((p, i) => {
          const size = p.channels / p.groups;
          const cg = p.channels / p.groups;
          const perGroup = Array.from({ length: p.groups }, (_, g) =>
            kept.filter((c) => c >= start + g * size && c < start + (g + 1) * size).map((c) => c - start - g * size),
          );
          // same count in every group, outputs unchanged
          expect(new Set(perGroup.map((x) => x.length)).size).toBe(1);
          expect(newParts[i]!.channels).toBe(p.channels);
          expect(newParts[i]!.inChannels ?? p.channels).toBe(perGroup[0]!.length * p.groups);
          expect(kNew[i]!.shape).toEqual([p.kernel, p.kernel, perGroup[0]!.length, p.channels]);
          perGroup.forEach((rows, g) => {
            const want = take(kOld[i]!.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]), 2, rows);
            expect(maxDiff(kNew[i]!.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]), want)).toBe(0);
          });
          start += p.channels;
        });
      }
      expect(report.flops.after).toBeLessThan(report.flops.before);
      expect(compiledDiff(pruned, 3)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
      pruned.dispose();
    }
  });

  it("resnext18 residual: each stage's stream loses the same channels in both grouped MixedConv2D outputs and the projection, as many per group, with the original kernel columns", () => {
    const model = buildModel('resnext18', { inputShape: SHAPE, heads: HEADS, width: 0.25, seed: 7 });
    randomizeBatchNorm(model, 7);
    const { model: pruned, report } = pruneModel(model, { ratio: 0.4, minChannels: 1, minFraction: 0, residual: true });
    try {
      const streams = report.layers.filter((l) => l.coupled);
      expect(streams).toHaveLength(4);
      expect(streams.every((l) => l.kept < l.total)).toBe(true);
      for (const stage of ['s1', 's2', 's3', 's4']) {
        // the stream's kept channels, read off each of its BNs independently: the same everywhere
        const kept = keptOf(model, pruned, `${stage}b1_b_bn`);
        expect(keptOf(model, pruned, `${stage}b1_short_bn`)).toEqual(kept);
        expect(keptOf(model, pruned, `${stage}b2_b_bn`)).toEqual(kept);
        const sOld = model.getLayer(`${stage}b1_short_conv`).getWeights()[0]!;
        const sNew = pruned.getLayer(`${stage}b1_short_conv`).getWeights()[0]!;
        // the projection reads the stem (s1) or the previous stage's stream, itself pruned
        const prev = { s1: 'stem_bn', s2: 's1b1_b_bn', s3: 's2b1_b_bn', s4: 's3b1_b_bn' }[stage]!;
        expect(maxDiff(sNew, take(take(sOld, 3, kept), 2, keptOf(model, pruned, prev)))).toBe(0);
        for (const block of [`${stage}b1`, `${stage}b2`]) {
          const mix = `${block}_b_mixconv`;
          const parts = (model.getLayer(mix).getConfig() as unknown as { parts: MixedConvPart[] }).parts;
          const newParts = (pruned.getLayer(mix).getConfig() as unknown as { parts: MixedConvPart[] }).parts;
          const inKept = keptOf(model, pruned, `${block}_a_bn`);
          const kOld = model.getLayer(mix).getWeights();
          const kNew = pruned.getLayer(mix).getWeights();
          let start = 0;
          parts.forEach((p, i) => {
            const cg = p.channels / p.groups;
            const cols = Array.from({ length: p.groups }, (_, g) =>
              kept.filter((c) => c >= start + g * cg && c < start + (g + 1) * cg).map((c) => c - start - g * cg),
            );
            const rows = Array.from({ length: p.groups }, (_, g) =>
              inKept.filter((c) => c >= start + g * cg && c < start + (g + 1) * cg).map((c) => c - start - g * cg),
            );
            expect(new Set(cols.map((x) => x.length)).size).toBe(1);
            expect(cols[0]!.length).toBeGreaterThanOrEqual(2);
            expect(newParts[i]!.channels).toBe(cols[0]!.length * p.groups);
            expect(newParts[i]!.inChannels ?? newParts[i]!.channels).toBe(rows[0]!.length * p.groups);
            expect(kNew[i]!.shape).toEqual([p.kernel, p.kernel, rows[0]!.length, cols[0]!.length * p.groups]);
            const kc = cols[0]!.length;
            cols.forEach((c, g) => {
              const want = take(take(kOld[i]!.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]), 2, rows[g]!), 3, c);
              expect(maxDiff(kNew[i]!.slice([0, 0, 0, g * kc], [-1, -1, -1, kc]), want)).toBe(0);
            });
            start += p.channels;
          });
        }
      }
      expect(compiledDiff(pruned, 5)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
      pruned.dispose();
    }
  });

  it('mobilenet-v2: a depthwise conv loses the same channels as the expand conv before it and the project conv reads only those', () => {
    const model = buildModel('mobilenet-v2', { inputShape: SHAPE, heads: HEADS, width: 0.25, seed: 6 });
    randomizeBatchNorm(model, 6);
    const { model: pruned, report } = pruneModel(model, { ratio: 0.4, minChannels: 1, minFraction: 0 });
    try {
      const expands = report.layers.filter((l) => l.layer.endsWith('_expand_conv') && l.kept < l.total);
      expect(expands.length).toBeGreaterThan(3);
      for (const l of expands) {
        const block = l.layer.replace(/_expand_conv$/, '');
        const kept = keptOf(model, pruned, `${block}_expand_bn`);
        expect(keptOf(model, pruned, `${block}_dw_bn`)).toEqual(kept);
        const dwOld = model.getLayer(`${block}_dw`).getWeights()[0]!;
        expect(maxDiff(pruned.getLayer(`${block}_dw`).getWeights()[0]!, take(dwOld, 2, kept))).toBe(0);
        const pOld = model.getLayer(`${block}_project_conv`).getWeights()[0]!;
        const pNew = pruned.getLayer(`${block}_project_conv`).getWeights()[0]!;
        expect(pNew.shape[2]).toBe(kept.length);
        // the project conv's outputs may be pruned by its own group: compare its kept inputs on every output it kept
        const outKept =
          pNew.shape[3] === pOld.shape[3]
            ? [...Array(pOld.shape[3]).keys()]
            : keptOf(model, pruned, `${block}_project_bn`);
        expect(maxDiff(pNew, take(take(pOld, 2, kept), 3, outKept))).toBe(0);
      }
    } finally {
      model.dispose();
      pruned.dispose();
    }
  });

  for (const [name, residual] of ['resnext18', 'mobilenet-v2', 'mixnet18'].flatMap(
    (n) =>
      [
        [n, false],
        [n, true],
      ] as const,
  ))
    it(`${name}${residual ? ' (residual)' : ''}: ratio 0 keeps every weight and gives the original's outputs exactly`, () => {
      const model = buildModel(name, { inputShape: SHAPE, heads: HEADS, width: 0.25, seed: 2 });
      randomizeBatchNorm(model, 2);
      const { model: pruned, report } = pruneModel(model, { ratio: 0, residual });
      const x = tf.randomNormal([2, ...SHAPE], 0, 1, 'float32', 8) as tf.Tensor4D;
      try {
        expect(report.params.after).toBe(report.params.before);
        expect(report.layers.every((l) => l.kept === l.total)).toBe(true);
        const a = model.predict(x) as tf.Tensor[];
        const b = pruned.predict(x) as tf.Tensor[];
        expect(maxDiff(a, b)).toBe(0);
        tf.dispose([...a, ...b]);
      } finally {
        x.dispose();
        model.dispose();
        pruned.dispose();
      }
    });
});
