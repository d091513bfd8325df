/**
 * What `validate` (loadPipeline) catches before anything runs, on the built-in stages: each
 * problem once, at file:line:col, with a hint; all of them in one report.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/index.ts';
import { PipelineValidationError } from '../../src/pipeline/diagnostics.ts';
import { cli, tempProject } from '../runner/project.ts';

const PIPELINE = `vars:
  epochs: 2
stages:
  train:
    uses: train
    with:
      classes: data/classes.json
      train_labels: data/train.txt
      val_labels: data/val.txt
      epochs: \${epochs}
      optimizer: adamw
      loss: focal
      loss_options: { gama: 2 }
      augment: { flipp: true }
      optimizr_options: {}
  report:
    uses: evaluate
    with:
      model: models/run
      labels: data/tst.txt
`;

function project(yaml = PIPELINE): string {
  const dir = tempProject({ 'p.yaml': yaml });
  mkdirSync(path.join(dir, 'data'));
  for (const f of ['classes.json', 'train.txt', 'val.txt', 'test.txt']) writeFileSync(path.join(dir, 'data', f), '');
  return dir;
}

async function problems(dir: string, overrides: string[] = []): Promise<string[]> {
  try {
    await loadPipeline(path.join(dir, 'p.yaml'), { overrides });
  } catch (err) {
    if (!(err instanceof PipelineValidationError)) throw err;
    return err.diagnostics.map(
      (d) =>
        `${d.line !== undefined ? `${d.line}:${d.col}` : d.file} ${d.path}: ${d.message}${d.hint ? ` [${d.hint}]` : ''}`,
    );
  }
  return [];
}

describe('validate', () => {
  it('reports an enum typo once with a suggestion, nested option typos, an unknown param, a missing input and an unused -S var, all at once', async () => {
    expect(await problems(project(), ['vars.epoch=10'])).toEqual([
      '11:18 stages.train.with.optimizer: expected one of "sgd", "adam", "amsgrad", "radam", received "adamw" [did you mean "adam"?]',
      '13:23 stages.train.with.loss_options.gama: unknown key "gama" in loss_options of loss "focal" [did you mean "gamma"?]',
      '14:18 stages.train.with.augment.flipp: unknown key "flipp" in augment [did you mean "hflip"?]',
      '15:7 stages.train.with.optimizr_options: unknown param "optimizr_options" for stage "train" [did you mean "optimizer_options"?]',
      // train's params have problems, but its outputs follow from them as given, so the missing input is reported in the same pass
      '20:15 stages.report.with.labels: input "data/tst.txt" of stage "report" does not exist and no stage writes it [create it, fix the path, or add the stage that writes it (stages write: models/run, reports/run)]',
      '-S vars.epoch=10: nothing in the pipeline uses ${epoch} (vars has no "epoch"), so this override changes nothing [did you mean "epochs"?]',
    ]);
  });

  it('a loss_options typo with the default loss: once, against the loss that will run (not once per loss)', async () => {
    const yaml = PIPELINE.replace('      loss: focal\n', '')
      .replace('      optimizer: adamw\n', '')
      .replace('{ flipp: true }', '{ hflip: true }')
      .replace('      optimizr_options: {}\n', '')
      .replace('data/tst.txt', 'data/test.txt');
    expect(await problems(project(yaml))).toEqual([
      '11:23 stages.train.with.loss_options.gama: unknown key "gama" in loss_options of loss "crossentropy" [allowed keys: labelSmoothing]',
    ]);
    // the default optimizer's options likewise: adam's schema only
    const opt = yaml
      .replace('{ gama: 2 }', '{}')
      .replace('      augment:', '      optimizer_options: { beta3: 1 }\n      augment:');
    expect(await problems(project(opt))).toEqual([
      expect.stringMatching(
        /^12:\d+ stages\.train\.with\.optimizer_options\.beta3: unknown key "beta3" in optimizer_options of optimizer "adam" \[did you mean "beta1"\?\]$/,
      ),
    ]);
  });

  it('a problem in a value an -S override set is reported at the -S argument, not at a YAML line', async () => {
    const fixed = PIPELINE.replace('      optimizer: adamw\n', '')
      .replace('{ gama: 2 }', '{ gamma: 2 }')
      .replace('{ flipp: true }', '{ hflip: true }')
      .replace('      optimizr_options: {}\n', '')
      .replace('data/tst.txt', 'data/test.txt');
    expect(
      await problems(project(fixed), [
        'stages.train.with.epoch=3',
        'stages.train.with.loss_options.gama=2',
        'stages.train.with.epochs=ten',
      ]),
    ).toEqual([
      '-S stages.train.with.epoch=3: unknown param "epoch" for stage "train" [did you mean "epochs"?]',
      '-S stages.train.with.loss_options.gama=2: unknown key "gama" in loss_options of loss "focal" [did you mean "gamma"?]',
      '-S stages.train.with.epochs=ten: expected integer, received "ten"',
    ]);
  });

  it('reports an input that exists nowhere and that no stage writes, at the param naming it', async () => {
    const fixed = PIPELINE.replace('      optimizer: adamw\n', '')
      .replace('{ gama: 2 }', '{ gamma: 2 }')
      .replace('{ flipp: true }', '{ hflip: true }')
      .replace('      optimizr_options: {}\n', '');
    expect(await problems(project(fixed))).toEqual([
      '18:15 stages.report.with.labels: input "data/tst.txt" of stage "report" does not exist and no stage writes it [create it, fix the path, or add the stage that writes it (stages write: models/run, reports/run)]',
    ]);
    const dir = project(fixed.replace('data/tst.txt', 'data/test.txt'));
    expect(await problems(dir)).toEqual([]);
  });

  it('an input deleted after the pipeline resolved (and was cached as resolved) is reported by validate, status and run before anything runs', async () => {
    const fixed = PIPELINE.replace('      optimizer: adamw\n', '')
      .replace('{ gama: 2 }', '{ gamma: 2 }')
      .replace('{ flipp: true }', '{ hflip: true }')
      .replace('      optimizr_options: {}\n', '')
      .replace('data/tst.txt', 'data/test.txt');
    const dir = project(fixed);
    const first = await cli(['status', 'p.yaml'], dir);
    expect(first.code).toBe(0);
    expect(readdirSync(path.join(dir, '.mlc', 'resolved'))).toEqual(['p.yaml.json']);
    rmSync(path.join(dir, 'data', 'val.txt'));
    for (const verb of ['validate', 'status', 'run']) {
      const r = await cli([verb, 'p.yaml'], dir);
      expect([verb, r.code]).toEqual([verb, 2]);
      expect(r.stderr).toContain(
        'p.yaml:9:19 stages.train.with.val_labels: input "data/val.txt" of stage "train" does not exist and no stage writes it',
      );
      expect(r.stderr).toContain('1 problem in the pipeline; fix it and run again.');
    }
    expect(existsSync(path.join(dir, 'models'))).toBe(false); // nothing ran
  });

  it('a stage whose params have problems still has its own inputs checked, in the same pass', async () => {
    const dir = project(PIPELINE.replace('data/val.txt', 'data/vall.txt').replace('data/tst.txt', 'data/test.txt'));
    const found = await problems(dir);
    expect(found.filter((p) => p.includes('does not exist'))).toEqual([
      '9:19 stages.train.with.val_labels: input "data/vall.txt" of stage "train" does not exist and no stage writes it [create it, fix the path, or add the stage that writes it (stages write: models/run, reports/run)]',
    ]);
    expect(found).toHaveLength(5); // with the enum, the two nested typos and the unknown param
  });

  it('a stage whose outputs cannot be known (unknown uses) holds back the missing-input check: no false "no stage writes it"', async () => {
    const dir = project(
      'stages:\n  train:\n    uses: trian\n    with: { out: models/run }\n  report:\n    uses: evaluate\n    with: { model: models/run, labels: data/test.txt }\n',
    );
    const found = await problems(dir);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^3:11 stages\.train\.uses: .*"trian".* \[did you mean "train"\?\]$/);
  });

  it('an unknown param with nothing close points at the stage reference instead of listing every param', async () => {
    const dir = project(
      'stages:\n  train:\n    uses: train\n    with: { classes: data/classes.json, train_labels: data/train.txt, val_labels: "", colour: red }\n',
    );
    const [p] = await problems(dir);
    expect(p).toMatch(
      /^4:87 stages\.train\.with\.colour: unknown param "colour" for stage "train" \[`mlc-pipe stages train` lists its \d+ params\]$/,
    );
  });

  it('mlc-pipe validate prints them with code frames and exits 2', async () => {
    const dir = project();
    const r = await cli(['validate', 'p.yaml', '-S', 'vars.epoch=10'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'p.yaml:11:18 stages.train.with.optimizer: expected one of "sgd", "adam", "amsgrad", "radam", received "adamw"\n' +
        '  10 |       epochs: ${epochs}\n' +
        '> 11 |       optimizer: adamw\n' +
        '     |                  ^\n' +
        '  12 |       loss: focal\n' +
        '  hint: did you mean "adam"?',
    );
    expect(r.stderr).toContain('6 problems in the pipeline; fix them and run again.');
  });
});

describe('--engine and --threads', () => {
  const fixed = PIPELINE.replace('      optimizer: adamw\n', '')
    .replace('{ gama: 2 }', '{ gamma: 2 }')
    .replace('{ flipp: true }', '{ hflip: true }')
    .replace('      optimizr_options: {}\n', '')
    .replace('data/tst.txt', 'data/test.txt');
  const withGen = `${fixed}  list:\n    uses: generate-txt\n    with: { root: data, out: data/lists }\n`;

  it('set engine and threads on every stage that has them, and nothing else', async () => {
    const dir = project(withGen);
    const p = await loadPipeline(path.join(dir, 'p.yaml'), {
      paramOverrides: [
        { flag: '--engine', param: 'engine', value: 'wasm' },
        { flag: '--threads', param: 'threads', value: 3 },
      ],
    });
    const byId = new Map(p.stages.map((s) => [s.id, s.params]));
    expect([byId.get('train')!.engine, byId.get('train')!.threads]).toEqual(['wasm', 3]);
    expect([byId.get('report')!.engine, byId.get('report')!.threads]).toEqual(['wasm', 3]);
    expect('engine' in byId.get('list')!).toBe(false);
    const plain = await loadPipeline(path.join(dir, 'p.yaml'));
    expect(plain.stages.find((s) => s.id === 'train')!.params.engine).toBe('auto');
  });

  it('a bad --engine is one problem with a suggestion, reported before anything runs', async () => {
    const dir = project(fixed);
    const r = await cli(['run', 'p.yaml', '--engine', 'wsam'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--engine "wsam": expected one of "auto", ');
    expect(r.stderr).toContain('  hint: did you mean "wasm"?\n\n1 problem in the pipeline; fix it and run again.');
    for (const verb of ['validate', 'status']) {
      const v = await cli([verb, 'p.yaml', '--engine', 'wsam'], dir);
      expect([verb, v.code, v.stderr.includes('--engine "wsam": expected one of "auto", ')]).toEqual([verb, 2, true]);
    }
    expect((await cli(['validate', 'p.yaml', '--engine', 'wasm', '--threads', '2'], dir)).stdout.trim()).toBe(
      'p.yaml: ok (2 stages)',
    );
  });
});
