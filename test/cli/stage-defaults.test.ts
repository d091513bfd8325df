/**
 * Stage defaults chain (#21): every built-in stage's default input is the default output of the
 * stage before it, and `generate-txt { root: images }` → `check-labels` (defaults) accepts every
 * line, through the real CLI. The root guard still refuses paths that leave the working folder or
 * a declared root.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import checkLabels from '../../stages/check-labels.ts';
import evaluate from '../../stages/evaluate.ts';
import generateTxt from '../../stages/generate-txt.ts';
import makeDataset from '../../stages/make-dataset.ts';
import train from '../../stages/train.ts';
import writeTfrecord from '../../stages/write-tfrecord.ts';
import { cli, tempProject } from '../runner/project.ts';
import { stageContext } from '../stages/data-context.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defaults = (stage: { params: any }, params: Record<string, unknown> = {}): any =>
  Value.Default(stage.params, structuredClone(params));
/** Whether `path` is one of `outputs` or lies inside one of them. */
const producedBy = (path: string, outputs: string[]): boolean =>
  outputs.some((o) => path === o || path.startsWith(`${o}/`));

async function pictures(dir: string, classes: string[], n: number): Promise<void> {
  for (const [k, c] of classes.entries()) {
    await mkdir(join(dir, 'images', c), { recursive: true });
    for (let i = 0; i < n; i++) {
      await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 40 * k, g: 10 * i, b: 90 } } })
        .png()
        .toFile(join(dir, 'images', c, `${c}${i}.png`));
    }
  }
}

describe('stage defaults chain', () => {
  it("each stage's default inputs are default outputs of the stages before it", () => {
    const gen = generateTxt.outputs(defaults(generateTxt, { root: 'images' }));
    expect(makeDataset.outputs(defaults(makeDataset))).toEqual(gen); // either data stage feeds the rest
    const checks = ['train', 'val', 'test'].map((s) => ({ labels: `data/dataset/${s}.txt` }));
    expect(checkLabels.inputs(defaults(checkLabels)).filter((p) => !producedBy(p, gen))).toEqual([]);
    expect(checkLabels.outputs(defaults(checkLabels))).toEqual(['data/clean/train']);
    const checked = checks.flatMap((p) => checkLabels.outputs(defaults(checkLabels, p)));
    expect(checked).toEqual(['data/clean/train', 'data/clean/val', 'data/clean/test']);
    expect(writeTfrecord.inputs(defaults(writeTfrecord))).toEqual(['data/clean/train/clean.txt']);
    const trainIn = train.inputs(defaults(train));
    expect(trainIn.filter((p) => !producedBy(p, [...gen, ...checked]))).toEqual([]);
    expect(trainIn).toEqual(['data/dataset/classes.json', 'data/clean/train/clean.txt', 'data/clean/val/clean.txt']);
    const evalIn = evaluate.inputs(defaults(evaluate));
    expect(evalIn.filter((p) => !producedBy(p, [...checked, ...train.outputs(defaults(train))]))).toEqual([]);
  });

  it('generate-txt { root: images } → check-labels with default params accepts every line, through the CLI', async () => {
    const dir = tempProject({
      'p.yaml': [
        'stages:',
        '  gen: { uses: generate-txt, with: { root: images, val_fraction: 0.2, test_fraction: 0.2 } }',
        '  check-train: { uses: check-labels }',
        '  check-val: { uses: check-labels, with: { labels: data/dataset/val.txt } }',
        '  shards: { uses: write-tfrecord }',
        '',
      ].join('\n'),
    });
    await pictures(dir, ['cat', 'dog'], 5);
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.ran.sort()).toEqual(['check-train', 'check-val', 'gen', 'shards']);
    const summary = JSON.parse(await readFile(join(dir, 'data/clean/train/summary.json'), 'utf8'));
    const trainLines = (await readFile(join(dir, 'data/dataset/train.txt'), 'utf8')).trim().split('\n');
    expect(trainLines[0]).toMatch(/^\.\.\/\.\.\/images\//); // relative to the label file, outside its folder
    expect(summary).toMatchObject({ total: trainLines.length, accepted: trainLines.length, rejected: 0 });
    expect(JSON.parse(await readFile(join(dir, 'data/clean/val/summary.json'), 'utf8'))).toMatchObject({
      total: 2,
      rejected: 0,
    });
    const lock = parse(await readFile(join(dir, 'p.mlc.lock'), 'utf8')) as { stages: Record<string, unknown> };
    expect(Object.keys(lock.stages).sort()).toEqual(['check-train', 'check-val', 'gen', 'shards']);
  });

  it('the root guard still refuses paths leaving the working folder, or a declared root, and symlinks out of it', async () => {
    const dir = tempProject({});
    await pictures(dir, ['cat'], 1);
    await mkdir(join(dir, 'data/dataset'), { recursive: true });
    await writeFile(
      join(dir, 'outside.png'),
      await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
        .png()
        .toBuffer(),
    );
    const away = tempProject({}, 'mlc-pipe-away-');
    await writeFile(
      join(away, 'secret.png'),
      await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } })
        .png()
        .toBuffer(),
    );
    await symlink(join(away, 'secret.png'), join(dir, 'images', 'link.png'));
    await writeFile(
      join(dir, 'data/dataset/classes.json'),
      JSON.stringify({ heads: [{ name: 'class', classes: ['cat', 'dog'] }] }),
    );
    await writeFile(
      join(dir, 'data/dataset/train.txt'),
      [
        '../../images/cat/cat0.png 0',
        '../../../../../../../../etc/passwd 1',
        `${join(away, 'secret.png')} 1`,
        '../../outside.png 1',
        '../../images/link.png 1',
      ].join('\n') + '\n',
    );
    const ctx = stageContext(checkLabels, dir, { max_reject_rate: 1 });
    expect(await checkLabels.run(ctx)).toMatchObject({ metrics: { total: 5, accepted: 2, rejected: 3 } });
    const rejects = (await readFile(join(dir, 'data/clean/train/rejects.txt'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split('\t').slice(0, 2));
    expect(rejects).toEqual([
      [
        '2',
        `../../../../../../../../etc/passwd is outside the image root ${dir} (set allow_outside_root: true to allow it)`,
      ],
      ['3', `${join(away, 'secret.png')} is outside the image root ${dir} (set allow_outside_root: true to allow it)`],
      [
        '5',
        `../../images/link.png leads (through a symlink) to ${join(away, 'secret.png')}, outside the image root ${dir} (set allow_outside_root: true to allow it)`,
      ],
    ]);
    // A declared root is the guard: outside.png is inside the working folder but not inside images/.
    const declared = stageContext(checkLabels, dir, {
      root: 'images',
      labels: 'data/dataset/train.txt',
      out: 'data/clean/declared',
      max_reject_rate: 1,
    });
    await writeFile(join(dir, 'data/dataset/train.txt'), 'cat/cat0.png 0\n../outside.png 1\n');
    expect(await checkLabels.run(declared)).toMatchObject({ metrics: { total: 2, accepted: 1, rejected: 1 } });
    expect(await readFile(join(dir, 'data/clean/declared/rejects.txt'), 'utf8')).toContain(
      `../outside.png is outside the image root ${join(dir, 'images')}`,
    );
  });
});
