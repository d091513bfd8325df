/**
 * `mlc-pipe predict` through the real binary on the hand-computable fixture model of test/report:
 * without --out it prints one line per image; with --out it writes the file instead.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { exportModelFolder } from '../../src/export/export-folder.ts';
import { SAMPLES, expectedProbs, writeDataset, writeModel } from '../report/fixture.ts';
import { cli } from '../runner/project.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-cli-predict-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'model'));
  await cp(join(dir, 'data', 'images', 's3.png'), join(dir, 'b.png'));
  // A batch folder: two good images and three that cannot be read.
  await mkdir(join(dir, 'batch'));
  await cp(join(dir, 'data', 'images', 's0.png'), join(dir, 'batch', 'a.png'));
  await cp(join(dir, 'data', 'images', 's3.png'), join(dir, 'batch', 'c.png'));
  const png = await readFile(join(dir, 'batch', 'a.png'));
  await writeFile(join(dir, 'batch', 'b-truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  await writeFile(join(dir, 'batch', 'd-garbage.jpg'), Buffer.alloc(300, 0x5a));
  await writeFile(join(dir, 'batch', 'e-empty.jpg'), '');
  await exportModelFolder(join(dir, 'model'), join(dir, 'exp'), { format: 'onnx' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

describe('mlc-pipe predict', () => {
  it('without --out prints the predictions (top-k per head, binary heads as p(positive)) on stdout', async () => {
    const r = await cli(['predict', '--model', 'model', '--top-k', '2', 'data/images/s0.png', 'b.png'], dir);
    expect(r.code, r.stderr).toBe(0);
    const [color, bright] = expectedProbs();
    const names = ['red', 'green', 'blue'];
    const line = (shown: string, n: number) => {
      const top = [0, 1, 2].sort((a, b) => color[n * 3 + b]! - color[n * 3 + a]!).slice(0, 2);
      return `${shown.padEnd('data/images/s0.png'.length)}  color: ${top.map((k) => `${names[k]} ${pct(color[n * 3 + k]!)}`).join(' · ')}  bright: bright ${pct(bright[n]!)}`;
    };
    expect(SAMPLES[0]![0]).toEqual([200, 20, 20]);
    expect(r.stdout.trimEnd().split('\n')).toEqual([line('data/images/s0.png', 0), line('b.png', 3)]);
    // By hand, sample 0: logits 10·[200,20,20]/255 differ by 7.06, e^-7.06 = 0.00086 → red 1/(1+2·0.00086) = 99.8%, green 0.1%.
    expect(r.stdout).toContain('data/images/s0.png  color: red 99.8% · green 0.1%');
  });

  it('with --out writes the file and prints no prediction lines', async () => {
    const r = await cli(['predict', '--model', 'model', '--out', 'preds.csv', 'b.png'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('color:');
    const csv = (await readFile(join(dir, 'preds.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]!.startsWith('b.png,')).toBe(true);
  });

  it('a batch with unreadable files: a row with an error each, the count on stderr, exit 0 (--strict: 1); stdout is JSON only', async () => {
    const r = await cli(['predict', '--model', 'model', '--format', 'json', 'batch'], dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{
      path: string;
      heads: Record<string, Array<{ class: string; prob: number }>>;
      error?: string;
    }>;
    expect(rows.map((x) => [x.path, x.error === undefined])).toEqual([
      ['batch/a.png', true],
      ['batch/b-truncated.png', false],
      ['batch/c.png', true],
      ['batch/d-garbage.jpg', false],
      ['batch/e-empty.jpg', false],
    ]);
    const [color, bright] = expectedProbs();
    expect(rows[0]!.heads.color![0]!.prob).toBeCloseTo(color[0]!, 5); // s0, red
    expect(rows[2]!.heads.bright![0]!.prob).toBeCloseTo(bright[3]!, 5); // s3
    expect(rows[4]!.error).toMatch(/empty/);
    for (const x of rows) expect(x.error ?? '').not.toContain('mlc-predict-'); // never the internal temp file
    expect(r.stderr).toContain(
      'warning: 3 of 5 files could not be read (rows with an error), e.g. batch/b-truncated.png: ',
    );
    expect(r.stderr).toMatch(/engine used: /);

    const strict = await cli(['predict', '--model', 'model', '--format', 'csv', '--strict', 'batch'], dir);
    expect(strict.code).toBe(1);
    const csv = strict.stdout.trim().split('\n');
    expect(csv[0]).toBe('path,color_top1,color_p1,bright_p,error');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(rows.map((x) => x.path)); // the rows still come out
    expect(csv[5]).toMatch(/^batch\/e-empty\.jpg,,,,\S/);
    expect(strict.stderr).toContain('3 of 5 files could not be read (--strict)');
  });

  it('with --out, stdout stays empty: the engine line and the summary go to stderr', async () => {
    const r = await cli(['predict', '--model', 'model', '--out', 'p.json', 'batch'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('wrote 5 rows to p.json');
    expect(JSON.parse(await readFile(join(dir, 'p.json'), 'utf8'))).toHaveLength(5);
  });

  it('--model takes an export folder and a model.onnx (onnxruntime-node, classes.json beside it), same predictions', async () => {
    const want = JSON.parse(
      (await cli(['predict', '--model', 'model', '--format', 'json', '--top-k', '3', 'batch'], dir)).stdout,
    );
    for (const model of ['exp', 'exp/model.onnx']) {
      const r = await cli(['predict', '--model', model, '--format', 'json', '--top-k', '3', 'batch'], dir);
      expect(r.code, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as typeof want;
      expect(got.map((x: { path: string; error?: string }) => [x.path, x.error === undefined])).toEqual(
        want.map((x: { path: string; error?: string }) => [x.path, x.error === undefined]),
      );
      got.forEach((row: { heads: Record<string, Array<{ class: string; prob: number }>> }, n: number) => {
        for (const [h, list] of Object.entries(row.heads)) {
          expect(
            list.map((c) => c.class),
            `${model} ${n} ${h}`,
          ).toEqual(want[n].heads[h].map((c: { class: string }) => c.class));
          list.forEach((c, i) => expect(c.prob).toBeCloseTo(want[n].heads[h][i].prob, 4));
        }
      });
      if (model.endsWith('.onnx')) expect(r.stderr).toContain('engine used: onnxruntime-node');
    }
  });

  it('bad arguments exit 2 and name what was given', async () => {
    const bad = async (args: string[], text: string) => {
      const r = await cli(['predict', ...args], dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stdout).toBe('');
    };
    await bad(['--model', 'model', '--format', 'xml', 'b.png'], '--format xml: expected one of table, json, csv');
    await bad(['--model', 'nowhere', 'b.png'], '--model nowhere: no such file or folder');
    await bad(['--model', 'b.png', 'b.png'], '--model b.png: a file that is not an .onnx model');
    await bad(
      ['--model', 'data', 'b.png'],
      '--model data: neither a model folder (model.json) nor an export folder (model.onnx)',
    );
    await bad(['--model', 'model', 'missing.png'], 'missing.png: no such image file or folder');
  });

  it('an unknown --engine is a usage error with a suggestion from the engine list', async () => {
    const r = await cli(['predict', '--model', 'model', '--engine', 'wsam', 'b.png'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'ConfigError: unknown engine "wsam"; valid: auto, native, tensorflow, webgpu, wasm, cpu\n  hint: did you mean "wasm"?',
    );
  });
});
