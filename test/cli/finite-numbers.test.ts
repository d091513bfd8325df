/**
 * Numbers are finite: a non-finite param (YAML's .inf, .nan) is refused at validation with
 * file:line and exit 2, from the file or from -S; a training whose loss or weights go non-finite
 * stops at once and fails with the epoch, the step and a hint, recording nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

const PIPELINE = (lr: string) => `stages:
  data: { uses: make-dataset, with: { out: data, n: 24, seed: 1, val_fraction: 0.2 } }
  train:
    uses: train
    with:
      train_labels: data/train.txt
      val_labels: data/val.txt
      classes: data/classes.json
      out: models/m
      width_multiplier: 0.0625
      height: 16
      width: 48
      epochs: 2
      batch_size: 8
      engine: cpu
      lr: ${lr}
`;

describe('numbers are finite', () => {
  it('lr: .inf, epochs: .nan and -S …lr=-.inf are refused at validation, exit 2, at file:line', async () => {
    const dir = tempProject({ 'p.yaml': PIPELINE('.inf') });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('p.yaml:16:11 stages.train.with.lr: expected a finite number, received .inf (infinity)');
    expect(r.stderr).toContain('hint: every numeric param is a finite number within its range');
    expect(r.stderr).not.toContain('received null');
    expect(existsSync(path.join(dir, 'data'))).toBe(false); // refused before anything ran
    const s = await cli(
      ['validate', 'p.yaml', '-S', 'stages.train.with.lr=0.1', '-S', 'stages.train.with.epochs=.nan'],
      dir,
    );
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(
      '-S stages.train.with.epochs=.nan: expected a finite integer, received .nan (not a number)',
    );
    expect(s.stderr).not.toContain('stages.train.with.lr');
  });

  it('a diverging training (lr: 1e30) stops at once, fails naming epoch and step with a hint, and records nothing', async () => {
    const dir = tempProject({ 'p.yaml': PIPELINE('1e30') });
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(
      /✖ train( \[[^\]]*\])?: stage train: training diverged: (the loss is (NaN|-?Infinity) at|\d+ weights are NaN or infinite \(first in \S+\) after) epoch 1, step \d+; stopped, nothing recorded/,
    );
    expect(r.stderr).toContain('hint: lower lr, use warmup (warmup_epochs)');
    expect(existsSync(path.join(dir, 'models/m'))).toBe(false);
    const lock = parse(readFileSync(path.join(dir, 'p.mlc.lock'), 'utf8')) as { stages: Record<string, unknown> };
    expect(Object.keys(lock.stages)).toEqual(['data']);
  });
});
