/**
 * `mlc-pipe evaluate` through the real binary on the hand-computable fixture model of test/report:
 * the per-head metrics it prints and the report folder it writes match the metrics of the
 * probabilities computed in plain JS; bad input is one clear error naming the file or flag.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { evaluatePredictions } from '../../src/report/metrics/evaluate.ts';
import { HEADS, SAMPLES, expectedProbs, writeDataset, writeModel } from '../report/fixture.ts';
import { cli } from '../runner/project.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-cli-evaluate-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'models', 'tiny'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('mlc-pipe evaluate', () => {
  it('prints per-head metrics and writes reports/<model> (label file, --engine, --threads)', async () => {
    const r = await cli(
      ['evaluate', 'models/tiny', 'data/test.txt', '--engine', 'cpu', '--threads', '1', '--batch-size', '3'],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const indep = evaluatePredictions({
      heads: HEADS,
      probs: expectedProbs(),
      labels: Int32Array.from(SAMPLES.flatMap(([, c, b]) => [c, b])),
      paths: SAMPLES.map((_, i) => `images/s${i}.png`),
    }).metrics;
    const color = indep.heads.color as {
      report: { 'macro avg': { f1: number } };
      ovr: { macroAP: number; macroAUC: number };
      calibration: { ece: number };
    };
    const f = (v: number) => v.toFixed(4);
    // by hand: color right on 4 of its 6 known labels, bright on all 7, every known head right on 5 of 7
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      'head    kind                images  accuracy      f1      ap     auc     ece',
      `color   softmax, 3 classes       6    0.6667  ${f(color.report['macro avg'].f1)}  ${f(color.ovr.macroAP)}  ${f(color.ovr.macroAUC)}  ${f(color.calibration.ece)}`,
      `bright  binary                   7    1.0000  1.0000  1.0000  1.0000  ${f(indep.heads.bright!.calibration.ece!)}`,
      'all heads: 0.7143 (5/7 images with every known head right); mAP 1.0000 over 1 binary heads',
    ]);
    expect(r.stdout).toContain('report: reports/tiny/report.html');
    expect(r.stderr).toContain('engine: cpu');
    const metrics = JSON.parse(await readFile(join(dir, 'reports', 'tiny', 'metrics.json'), 'utf8'));
    expect(metrics.heads.color).toMatchObject({ correct: 4, count: 6 });
    const run = JSON.parse(await readFile(join(dir, 'reports', 'tiny', 'run.json'), 'utf8'));
    expect(run.params.evaluate).toMatchObject({
      model: 'models/tiny',
      labels: 'data/test.txt',
      engine: 'cpu',
      threads: 1,
      batch_size: 3,
    });
    expect(readdirSync(join(dir, 'reports'))).toEqual(['tiny', 'tiny.latency.js']); // no temp folder left; the unhashed latency sidecar beside the report
    // an existing report folder is replaced only with --force
    const again = await cli(['evaluate', 'models/tiny', 'data/test.txt', '--engine', 'cpu'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      "ConfigError: reports/tiny exists (a pipeline's evaluate stage may own it)\n  hint: pass --out <dir> to write elsewhere, or --force to replace it",
    );
    // --latency-runs 0: no measurement, and the previous one (perhaps of another model) is removed
    expect(
      (
        await cli(
          ['evaluate', 'models/tiny', 'data/test.txt', '--engine', 'cpu', '--force', '--latency-runs', '0'],
          dir,
        )
      ).code,
    ).toBe(0);
    expect(readdirSync(join(dir, 'reports'))).toEqual(['tiny']);
    expect(await readFile(join(dir, 'reports', 'tiny', 'report.html'), 'utf8')).toContain(
      "not measured (evaluate's <code>latency_runs: 0</code>)",
    );
  });

  it('a folder of TFRecord shards gives the same metrics; --out names the report folder', async () => {
    const { writeTfRecordShards } = await import('../../src/data/tfrecord/writer.ts');
    const items = SAMPLES.map(([, c, b], i) => ({
      path: join(dir, 'data', 'images', `s${i}.png`),
      filename: `images/s${i}.png`,
      labels: [c, b],
    }));
    await writeTfRecordShards(items, { outDir: join(dir, 'records'), split: 'test', shardSize: 3 });
    const r = await cli(['evaluate', 'models/tiny', 'records', '--engine', 'cpu', '--out', 'reports/rec'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('all heads: 0.7143 (5/7 images with every known head right)');
    const run = JSON.parse(await readFile(join(dir, 'reports', 'rec', 'run.json'), 'utf8'));
    expect(run.params.evaluate.tfrecords).toEqual(['records']);
  });

  it('bad input: an unknown engine (with a suggestion), a missing file, a label outside its head, a folder that is no model', async () => {
    const engine = await cli(['evaluate', 'models/tiny', 'data/test.txt', '--engine', 'wsam'], dir);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toContain(
      'ConfigError: --engine: expected one of "auto", "native", "tensorflow", "webgpu", "wasm", "cpu", received "wsam"\n  hint: did you mean "wasm"?',
    );
    const missing = await cli(['evaluate', 'models/tiny', 'data/tst.txt'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'DataError: data/tst.txt: no such label file or TFRecord folder\n  hint: pass a label file',
    );
    await writeFile(join(dir, 'data', 'bad.txt'), 'images/s0.png 0 1\nimages/s1.png 3 0\n');
    const range = await cli(
      ['evaluate', 'models/tiny', 'data/bad.txt', '--engine', 'cpu', '--out', 'reports/bad'],
      dir,
    );
    expect(range.code).toBe(1);
    expect(range.stderr).toContain(
      `DataError: ${join(dir, 'data', 'bad.txt')}:2: label 3 in column 1 (head color) is outside [-1, 2]`,
    );
    expect(existsSync(join(dir, 'reports', 'bad'))).toBe(false);
    const notModel = await cli(['evaluate', 'data', 'data/test.txt'], dir);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toContain(`DataError: ${join(dir, 'data')}: no trained model here (model.json missing)`);
  });
});
