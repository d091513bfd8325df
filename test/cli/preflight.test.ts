/**
 * Degenerate data is refused before compute (#21): exit 2, the error at file:line with the fix,
 * nothing recorded in the lock; data that trains poorly gives warnings on the console. One test
 * per case, through the CLI. The console also names the engine and threads of model stages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { preflightSplits } from '../../src/data/check/preflight.ts';
import { PreflightError } from '../../src/errors.ts';
import { cli, tempProject } from '../runner/project.ts';

const CLASSES = JSON.stringify({
  heads: [
    { name: 'kind', classes: ['cat', 'dog', 'eel'] },
    { name: 'spotted', classes: ['spotted'] },
  ],
});
const tiny = 'width_multiplier: 0.0625, height: 16, width: 16, epochs: 1, batch_size: 4, threads: 1';

/** A project with `n` tiny PNGs img/0.png… and the given files. */
async function project(files: Record<string, string>, n = 12): Promise<string> {
  const dir = tempProject({ 'data/dataset/classes.json': CLASSES, ...files });
  await mkdir(join(dir, 'data/dataset/img'), { recursive: true });
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 20 * i, g: 100, b: 50 } } })
      .png()
      .toFile(join(dir, 'data/dataset/img', `${i}.png`));
  }
  return dir;
}
const lines = (rows: Array<[number, number]>, from = 0) =>
  rows.map(([k, s], i) => `img/${from + i}.png ${k} ${s}`).join('\n') + '\n';
const lockIds = (dir: string) =>
  existsSync(join(dir, 'p.mlc.lock'))
    ? Object.keys((parse(readFileSync(join(dir, 'p.mlc.lock'), 'utf8')) as { stages: object }).stages)
    : [];
const trainYaml = (extra = '') =>
  `stages:\n  train: { uses: train, with: { train_labels: data/dataset/train.txt, val_labels: '', ${tiny}${extra} } }\n`;

describe('pre-flight refusals (exit 2, nothing recorded)', () => {
  it('an empty train label file: train refuses at file:1 with the fix', async () => {
    const dir = await project({ 'data/dataset/train.txt': '', 'p.yaml': trainYaml() });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('✖ stage train: data/dataset/train.txt:1: the train label file has no images');
    expect(r.stderr).toContain('hint: if check-labels wrote it, it rejected every line (see rejects.txt beside it)');
    expect(lockIds(dir)).toEqual([]);
    expect(existsSync(join(dir, 'models/run'))).toBe(false);
  });

  it('a label file left empty after check-labels: check-labels refuses an empty file, train an empty clean.txt', async () => {
    const dir = await project({
      'data/dataset/train.txt': '\n',
      'p.yaml': 'stages:\n  check: { uses: check-labels }\n',
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('✖ stage check: data/dataset/train.txt:1: the label file has no image lines');
    expect(lockIds(dir)).toEqual([]);
    // everything rejected with max_reject_rate: 1 leaves nothing: refused as well
    const all = await project({
      'data/dataset/train.txt': 'img/missing.png 0 0\n',
      'p.yaml': 'stages:\n  check: { uses: check-labels, with: { max_reject_rate: 1 } }\n',
    });
    const a = await cli(['run', 'p.yaml'], all);
    expect(a.code, a.stdout + a.stderr).toBe(2);
    expect(a.stderr).toContain(
      'data/dataset/train.txt:1: every one of the 1 lines was rejected, so data/clean/train/clean.txt would be empty',
    );
    expect(lockIds(all)).toEqual([]);
  });

  it('a head whose labels are all -1', async () => {
    const dir = await project({
      'data/dataset/train.txt': lines([
        [0, -1],
        [1, -1],
        [2, -1],
        [0, -1],
      ]),
      'p.yaml': trainYaml(),
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'data/dataset/train.txt:1: head spotted: every one of the 4 train labels is -1 (unknown), so it has nothing to learn',
    );
    expect(r.stderr).toContain(
      'hint: label the images for head spotted (column 2), or remove the head from classes.json',
    );
    expect(lockIds(dir)).toEqual([]);
  });

  it('a head with one class present in train', async () => {
    const dir = await project({
      'data/dataset/train.txt': lines([
        [-1, 0],
        [1, 1],
        [1, 0],
        [1, 1],
      ]),
      'p.yaml': trainYaml(),
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'data/dataset/train.txt:2: head kind: only one class, "dog", is present in train (3 images); a head needs at least two to learn anything',
    );
    expect(r.stderr).toContain('hint: add train images of "cat", "eel", or remove head kind');
    expect(lockIds(dir)).toEqual([]);
  });

  it('a val split empty while val_fraction > 0: generate-txt refuses', async () => {
    const dir = tempProject({
      'p.yaml': 'stages:\n  gen: { uses: generate-txt, with: { root: images, val_fraction: 0.1, test_fraction: 0 } }\n',
    });
    for (const c of ['cat', 'dog']) {
      await mkdir(join(dir, 'images', c), { recursive: true });
      for (let i = 0; i < 3; i++)
        await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
          .png()
          .toFile(join(dir, 'images', c, `${i}.png`));
    }
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'images')}: the val split is empty although val_fraction is 0.1: no class has enough images (6 images in all)`,
    );
    expect(r.stderr).toContain(
      'hint: add images (a class needs at least 5 for one to go to val), or set val_fraction: 0',
    );
    expect(lockIds(dir)).toEqual([]);
  });

  it('a failure while running still exits 1 (a refusal is not every failure)', async () => {
    // an image that does not decode fails train while it runs (check-labels would have caught it)
    const dir = await project({
      'data/dataset/img/bad.png': 'not a png',
      'data/dataset/train.txt': `img/bad.png 0 0\n${lines([[1, 1]], 1)}`,
      'p.yaml': trainYaml(', engine: cpu'),
    });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('✖ stage train:');
  });
});

describe('pre-flight warnings', () => {
  it('a class in val absent from train, and fewer than 5 images of a class, with the counts', () => {
    const heads = JSON.parse(CLASSES).heads;
    const rec = (rows: Array<[number, number]>) =>
      rows.map(([k, s], i) => ({ path: `${i}.png`, labels: [k, s], line: i + 1 }));
    const train = {
      name: 'train',
      file: 'train.txt',
      records: rec([
        [0, 0],
        [0, 1],
        [0, 0],
        [0, 1],
        [0, 0],
        [1, 1],
        [1, 0],
        [1, 1],
        [1, 0],
        [1, 1],
      ]),
    };
    const val = {
      name: 'val',
      file: 'val.txt',
      records: rec([
        [0, 0],
        [2, 1],
        [2, 0],
      ]),
    };
    expect(preflightSplits(heads, train, [val])).toEqual([
      'train.txt: head kind: class "eel" has only 0 train images (fewer than 5); its metrics will be noisy',
      'val.txt:2: head kind: class "eel" appears 2 times in val but never in train (train.txt); the model cannot have learnt it',
    ]);
    expect(preflightSplits(heads, { ...train, records: train.records.slice(0, 8) })).toEqual([
      'train.txt: head kind: class "dog" has only 3 train images (fewer than 5); its metrics will be noisy',
      'train.txt: head kind: class "eel" has only 0 train images (fewer than 5); its metrics will be noisy',
      'train.txt: head spotted: class "not spotted" has only 4 train images (fewer than 5); its metrics will be noisy',
      'train.txt: head spotted: class "spotted" has only 4 train images (fewer than 5); its metrics will be noisy',
    ]);
    expect(() => preflightSplits(heads, train, [{ ...val, records: [] }])).toThrow(PreflightError);
  });

  it('train shows its warnings, its engine and threads, and the native fallback on the console; engine: native unavailable is refused (exit 2)', async () => {
    const train = lines([
      [0, 0],
      [0, 1],
      [0, 0],
      [0, 1],
      [0, 0],
      [1, 1],
      [1, 0],
      [1, 1],
      [1, 0],
      [1, 1],
    ]);
    const dir = await project({
      'data/dataset/train.txt': train,
      'data/dataset/val.txt': lines([[2, 1]], 10),
      'p.yaml': trainYaml(', val_labels: data/dataset/val.txt').replace("val_labels: '', ", ''),
    });
    const r = await cli(['run', 'p.yaml'], dir, { MLC_PIPE_NATIVE: 'off' }); // auto falls back to wasm
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '  train: warning: data/dataset/train.txt: head kind: class "eel" has only 0 train images (fewer than 5)',
    );
    expect(r.stdout).toContain(
      '  train: warning: data/dataset/val.txt:1: head kind: class "eel" appears 1 time in val but never in train',
    );
    expect(r.stdout).toMatch(/^✔ train \[wasm, 1 thread\] \(/m);
    expect(r.stdout).toContain(
      '  train: warning: engine auto: native (libtorch) is not available (hidden by MLC_PIPE_NATIVE=off), so this runs on wasm, about 3-4x slower for training; fix: apt-get install libtorch-dev && npm run build:native',
    );
    expect(r.stderr).toContain(
      'warning: train: data/dataset/train.txt: head kind: class "eel" has only 0 train images',
    );

    const off = await project({ 'data/dataset/train.txt': train, 'p.yaml': trainYaml(', engine: native') });
    const o = await cli(['run', 'p.yaml'], off, { MLC_PIPE_NATIVE: 'off' });
    expect(o.code, o.stdout + o.stderr).toBe(2);
    expect(o.stderr).toContain('engine native: no engine could start (native: hidden by MLC_PIPE_NATIVE=off)');
    expect(o.stderr).toContain('hint: apt-get install libtorch-dev && npm run build:native');
    expect(lockIds(off)).toEqual([]);
  });
});
