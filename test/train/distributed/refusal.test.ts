/**
 * `distributed` on an engine other than native (sync_bn or not) is refused at validation: `mlc-pipe
 * validate` and `run` exit 2 at the train stage's file:line with the fix, and nothing runs. The stage asks the scheduler for ranks × threads CPU slots.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import trainStage from '../../../stages/train.ts';
import { cli, tempProject } from '../../runner/project.ts';

function project(withLine: string) {
  return tempProject({
    'p.yaml': `stages:\n  prep: { cmd: [sh, -c, "echo x > prep.txt"], outs: [prep.txt] }\n  train:\n    uses: train\n    with: { train_labels: train.txt, val_labels: '', classes: classes.json, out: models/m, epochs: 1, ${withLine} }\n`,
    'classes.json': '{"heads": [{"name": "d", "classes": ["a", "b"]}]}\n',
    'train.txt': 'x.png 0\ny.png 1\n',
  });
}

describe('distributed is refused at validation where it cannot run', () => {
  it('on an engine other than native (auto included): exit 2 at the engine key, nothing runs', async () => {
    for (const [line, received] of [
      ['engine: wasm, distributed: { ranks: 2 }', ', received "wasm"'],
      ['distributed: { ranks: 2 }', ''],
    ] as const) {
      const dir = project(line);
      for (const args of [
        ['validate', 'p.yaml'],
        ['run', 'p.yaml'],
      ]) {
        const r = await cli(args, dir);
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toContain(
          received
            ? `stages.train.with.engine: expected "native"${received}`
            : 'stages.train.with: missing required key "engine"',
        );
        expect(r.stderr).toContain(
          'hint: data-parallel training runs on the libtorch addon: set engine: native (or drop distributed)',
        );
      }
      expect(existsSync(join(dir, 'prep.txt'))).toBe(false);
    }
  });

  it('sync_bn: true validates on native, is refused (exit 2) elsewhere; one rank needs nothing', async () => {
    const ok = await cli(['validate', 'p.yaml'], project('engine: native, distributed: { ranks: 2, sync_bn: true }'));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const r = await cli(['validate', 'p.yaml'], project('engine: wasm, distributed: { ranks: 2, sync_bn: true }'));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('stages.train.with.engine: expected "native", received "wasm"');
    const one = await cli(['validate', 'p.yaml'], project('engine: wasm, distributed: { ranks: 1 }'));
    expect(one.code, one.stdout + one.stderr).toBe(0);
  });

  it('overlap: auto, true and false validate; anything else is refused at its key with the choices', async () => {
    for (const v of ['auto', 'true', 'false']) {
      const ok = await cli(['validate', 'p.yaml'], project(`engine: native, distributed: { ranks: 2, overlap: ${v} }`));
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    }
    const r = await cli(['validate', 'p.yaml'], project('engine: native, distributed: { ranks: 2, overlap: yes }'));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'stages.train.with.distributed.overlap: expected one of "auto", true, false, received "yes"',
    );
  });

  it('asks the scheduler for ranks × threads CPU slots', () => {
    const resources = trainStage.resources as (p: object) => { cpu: number };
    expect(
      resources({ engine: 'native', threads: 3, distributed: { ranks: 2, sync_bn: false, timeout_s: 1 } }).cpu,
    ).toBe(6);
    expect(resources({ engine: 'native', threads: 3 }).cpu).toBe(3);
  });
});
