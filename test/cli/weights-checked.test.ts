/**
 * Weights are checked at load: a model folder carries weights.sha256 (written at save), and every
 * load verifies it; a damaged weights.bin fails with "weights.bin changed or damaged since it was
 * written", non-finite weights are refused, predict never prints NaN. A folder saved before
 * digests existed (no weights.sha256) still loads.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

const PIPELINE = `stages:
  data: { uses: make-dataset, with: { out: data, n: 24, seed: 1, val_fraction: 0.2 } }
  train:
    uses: train
    with: { train_labels: data/train.txt, val_labels: data/val.txt, classes: data/classes.json, out: models/m, width_multiplier: 0.0625, height: 16, width: 48, epochs: 1, batch_size: 8, engine: cpu }
`;

let dir: string;
beforeAll(async () => {
  dir = tempProject({ 'p.yaml': PIPELINE });
  const r = await cli(['run', 'p.yaml'], dir);
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

/** A copy of the trained model folder, changed by `damage`. */
function damaged(name: string, damage: (folder: string) => void): string {
  const folder = path.join(dir, 'models', name);
  cpSync(path.join(dir, 'models/m'), folder, { recursive: true });
  damage(folder);
  return `models/${name}`;
}

describe('weights are checked at load', () => {
  it('the model folder carries weights.sha256 in sha256sum format, matching weights.bin', () => {
    const out = execFileSync('sha256sum', ['-c', 'weights.sha256'], {
      cwd: path.join(dir, 'models/m'),
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('weights.bin: OK');
  });

  it('weights.bin overwritten with random bytes of the same size: evaluate and predict fail naming it, exit 1', async () => {
    const m = damaged('random', (f) => {
      const size = readFileSync(path.join(f, 'weights.bin')).length;
      writeFileSync(
        path.join(f, 'weights.bin'),
        Buffer.from(Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24)),
      );
    });
    const e = await cli(['evaluate', m, 'data/val.txt', '--engine', 'cpu'], dir);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(
      `${path.join(m, 'weights.bin')}: weights.bin changed or damaged since it was written (sha256 `,
    );
    expect(e.stderr).toContain('hint: train the model again');
    const p = await cli(['predict', '--model', m, '--engine', 'cpu', 'data/images'], dir);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('weights.bin changed or damaged since it was written');
    expect(p.stdout).not.toMatch(/NaN/);
  });

  it('NaN weights in a folder without a digest: refused as non-finite; predict prints no NaN', async () => {
    const m = damaged('nan', (f) => {
      const w = readFileSync(path.join(f, 'weights.bin'));
      const nan = Buffer.alloc(w.length);
      for (let i = 0; i + 4 <= w.length; i += 4) nan.writeFloatLE(Number.NaN, i);
      writeFileSync(path.join(f, 'weights.bin'), nan);
      rmSync(path.join(f, 'weights.sha256')); // as a folder saved before digests
    });
    const p = await cli(['predict', '--model', m, '--engine', 'cpu', 'data/images'], dir);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/weights\.bin: weight \S+ holds \d+ NaN or infinite values/);
    expect(p.stdout).not.toMatch(/NaN/);
  });

  it('a model folder saved before digests (no weights.sha256) still loads; with the digest back it loads too', async () => {
    const m = damaged('legacy', (f) => rmSync(path.join(f, 'weights.sha256')));
    const e = await cli(['evaluate', m, 'data/val.txt', '--engine', 'cpu', '--out', 'reports/legacy'], dir);
    expect(e.code, e.stderr).toBe(0);
    copyFileSync(path.join(dir, 'models/m/weights.sha256'), path.join(dir, m, 'weights.sha256')); // and with the digest back, too
    const again = await cli(
      ['evaluate', m, 'data/val.txt', '--engine', 'cpu', '--out', 'reports/legacy', '--force'],
      dir,
    );
    expect(again.code, again.stderr).toBe(0);
  });

  it('init_from a damaged folder: the train stage fails naming weights.bin, nothing recorded', async () => {
    damaged('broken', (f) => {
      const w = readFileSync(path.join(f, 'weights.bin'));
      w[w.length - 1] ^= 1; // one flipped bit
      writeFileSync(path.join(f, 'weights.bin'), w);
    });
    writeFileSync(
      path.join(dir, 'p.yaml'),
      PIPELINE.replace('engine: cpu }', 'engine: cpu, init_from: models/broken }'),
    );
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('weights.bin changed or damaged since it was written');
  });
});
