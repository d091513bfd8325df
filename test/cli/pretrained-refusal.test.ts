/**
 * `pretrained` on a model without torchvision's layout, or together with `init_from`, is refused at
 * validation (#24): `mlc-pipe validate` and `run` exit 2 at the train stage's file:line with the
 * fix, and nothing runs (it was a ConfigError when the stage started, exit 1).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

function project(withLine: string) {
  return tempProject({
    'p.yaml': `stages:\n  prep: { cmd: [sh, -c, "echo x > prep.txt"], outs: [prep.txt] }\n  train:\n    uses: train\n    with: { train_labels: train.txt, val_labels: '', classes: classes.json, out: models/m, epochs: 1, ${withLine} }\n`,
    'classes.json': '{"heads": [{"name": "d", "classes": ["a", "b"]}]}\n',
    'train.txt': 'x.png 0\ny.png 1\n',
    'w.pth': 'not read at validation',
  });
}

describe('pretrained is refused at validation where it cannot load', () => {
  it('on a model without the PyTorch layout: validate and run exit 2 at the model key, nothing runs', async () => {
    const dir = project('model: resnet18, pretrained: w.pth');
    const at =
      'p.yaml:5:110 stages.train.with.model: expected one of "tv-resnet18", "tv-resnet34", "tv-resnet50", "tv-mobilenet-v2", received "resnet18"';
    const hint =
      "hint: pretrained loads weights in torchvision's layout: set model to one of tv-resnet18, tv-resnet34, tv-resnet50, tv-mobilenet-v2, or pretrained: ''";
    for (const args of [
      ['validate', 'p.yaml'],
      ['run', 'p.yaml'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(at);
      expect(r.stderr).toContain(hint);
    }
    expect(existsSync(join(dir, 'prep.txt'))).toBe(false); // refused before anything ran
    // model left out: its default (resnet18) has no PyTorch layout either
    const absent = await cli(['validate', 'p.yaml'], project('pretrained: w.pth'));
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('p.yaml:5:5 stages.train.with: missing required key "model"');
    expect(absent.stderr).toContain(hint);
  });

  it('together with init_from: validate and run exit 2 at init_from, naming both', async () => {
    const dir = project('model: tv-resnet18, pretrained: w.pth, init_from: prep.txt');
    for (const args of [
      ['validate', 'p.yaml'],
      ['run', 'p.yaml'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/p\.yaml:5:\d+ stages\.train\.with\.init_from: expected "", received "prep\.txt"/);
      expect(r.stderr).toContain(
        "hint: init_from continues a model folder of ours and pretrained starts a tv-* backbone from a PyTorch file: keep one (init_from: '' or pretrained: '')",
      );
    }
    expect(existsSync(join(dir, 'prep.txt'))).toBe(false);
  });

  it('a tv-* model with pretrained and no init_from validates', async () => {
    const r = await cli(['validate', 'p.yaml'], project('model: tv-resnet18, pretrained: w.pth'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
