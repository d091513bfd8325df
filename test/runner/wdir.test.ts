/**
 * `wdir:`: stage paths, `.mlc/` and `logs/` relative to the working folder; the lock file and
 * `uses: ./x.ts` relative to the pipeline file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPipeline } from '../../src/index.ts';
import { PipelineValidationError } from '../../src/pipeline/diagnostics.ts';
import { workingDir } from '../../src/pipeline/wdir.ts';
import { cli, concatStage, tempProject } from './project.ts';

const PIPELINE = `wdir: ..
stages:
  gen:
    uses: ./concat.ts
    with: { inputs: [raw.txt], text: '-gen', out: data/gen.txt }
  copy:
    cmd: [node, -e, "require('fs').mkdirSync('models',{recursive:true}); require('fs').copyFileSync('data/gen.txt','models/copy.txt')"]
    deps: [data/gen.txt]
    outs: [models/copy.txt]
`;

describe('wdir', () => {
  it('resolves stage paths, .mlc/ and logs/ in the working folder, the lock and uses: beside the pipeline file', async () => {
    const dir = tempProject({
      'raw.txt': 'raw',
      'pipelines/p.yaml': PIPELINE,
      'pipelines/concat.ts': concatStage({ name: 'concat' }),
    });
    const file = path.join(dir, 'pipelines', 'p.yaml');
    expect(workingDir(file)).toBe(dir);
    const p = await loadPipeline(file);
    expect(p.dir).toBe(dir);
    expect(p.fileDir).toBe(path.join(dir, 'pipelines'));
    const gen = p.stages.find((s) => s.id === 'gen')!;
    expect(gen.kind === 'module' && gen.modulePath).toBe(path.join(dir, 'pipelines', 'concat.ts'));

    const r = await cli(['run', 'pipelines/p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.ran).toEqual(['gen', 'copy']);
    expect(readFileSync(path.join(dir, 'data/gen.txt'), 'utf8')).toBe('raw-gen');
    expect(readFileSync(path.join(dir, 'models/copy.txt'), 'utf8')).toBe('raw-gen');
    expect(existsSync(path.join(dir, '.mlc', 'cache', 'runs'))).toBe(true);
    expect(existsSync(path.join(dir, 'logs', 'p', 'gen.log'))).toBe(true);
    expect(existsSync(path.join(dir, 'pipelines', '.mlc'))).toBe(false);
    expect(existsSync(path.join(dir, 'pipelines', 'data'))).toBe(false);
    expect(existsSync(path.join(dir, 'pipelines', 'logs'))).toBe(false);
    const lock = parse(readFileSync(path.join(dir, 'pipelines', 'p.mlc.lock'), 'utf8')) as {
      stages: Record<string, { inputs: object; outputs: object }>;
    };
    expect(Object.keys(lock.stages.gen!.inputs)).toEqual(['raw.txt']);
    expect(Object.keys(lock.stages.copy!.outputs)).toEqual(['models/copy.txt']);
    expect(existsSync(path.join(dir, 'p.mlc.lock'))).toBe(false);

    // Run from another folder: the same files, everything up to date.
    const again = await cli(['run', 'p.yaml'], path.join(dir, 'pipelines'));
    expect(again.code).toBe(0);
    expect(again.skipped.sort()).toEqual(['copy', 'gen']);

    // A changed input in the working folder reruns; editing the module beside the pipeline file too.
    writeFileSync(path.join(dir, 'raw.txt'), 'RAW');
    expect((await cli(['run', 'pipelines/p.yaml'], dir)).ran).toEqual(['gen', 'copy']);
    writeFileSync(path.join(dir, 'pipelines/concat.ts'), concatStage({ name: 'concat', transform: 's = s + "!";' }));
    const edited = await cli(['run', 'pipelines/p.yaml'], dir);
    expect(edited.ran).toEqual(['gen', 'copy']);
    expect(readFileSync(path.join(dir, 'models/copy.txt'), 'utf8')).toBe('RAW-gen!');

    // A failure points at its log in the working folder, under the pipeline's name.
    writeFileSync(
      path.join(dir, 'pipelines/f.yaml'),
      'wdir: ..\nname: fancy\nstages:\n  x: { cmd: "echo partial > x.txt; exit 2", shell: true, outs: [x.txt] }\n',
    );
    const failed = await cli(['run', 'pipelines/f.yaml'], dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('log: logs/fancy/x.log');
    expect(readFileSync(path.join(dir, 'logs/fancy/x.log'), 'utf8')).toContain(
      '# failed: stage x: command exited with code 2',
    );
    expect(readFileSync(path.join(dir, '.mlc/failed/x/x.txt'), 'utf8')).toBe('partial\n');
  });

  it('defaults to the pipeline file folder; a wdir that is not a folder is a positioned error', async () => {
    const dir = tempProject({
      'pipelines/p.yaml': 'stages:\n  a:\n    cmd: [touch, a]\n    outs: [a]\n',
      'pipelines/q.yaml': 'wdir: nowhere\nstages:\n  a:\n    cmd: [touch, a]\n    outs: [a]\n',
    });
    expect((await loadPipeline(path.join(dir, 'pipelines/p.yaml'))).dir).toBe(path.join(dir, 'pipelines'));
    const err = await loadPipeline(path.join(dir, 'pipelines/q.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineValidationError);
    expect((err as Error).message).toContain(
      `pipelines/q.yaml:1:7 wdir: wdir "nowhere" is not a folder (${path.join(dir, 'pipelines', 'nowhere')})`,
    );
  });
});
