/**
 * The `tf` namespace without the @tensorflow/tfjs union package: every gradient and chained op
 * registered from tfjs-core's own modules, and no tfjs Node.js banner on the cpu backend.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

describe('tf namespace (tfjs-core + tfjs-layers)', () => {
  it('registers a gradient for every kernel tfjs-core defines one for, and the chained ops', async () => {
    await tf.setBackend('cpu');
    // gradients tfjs-core ships as modules: each must now be registered
    const gradDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'gradients');
    const files = readdirSync(gradDir).filter((f) => f.endsWith('_grad.js'));
    expect(files.length).toBeGreaterThan(80);
    const missing = files
      .map((f) => readFileSync(path.join(gradDir, f), 'utf8').match(/kernelName: (\w+)/)?.[1])
      .filter((k): k is string => !!k)
      .filter((k) => !tf.getGradient((tf as unknown as Record<string, string>)[k] ?? k));
    expect(missing).toEqual([]);
    // a gradient through conv2d, relu and a chained op, against the hand-computed value
    const x = tf.tensor4d([1, -2, 3, 4], [1, 2, 2, 1]);
    const k = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
    const g = tf.grad((v: tf.Tensor) =>
      tf
        .relu(tf.conv2d(v as tf.Tensor4D, k, 1, 'valid'))
        .square()
        .sum(),
    )(x);
    expect(Array.from(g.dataSync())).toEqual([2, 0, 6, 8]); // d/dv Σ relu(v)² = 2v where v > 0
    tf.dispose([x, k, g]);
  });

  it('no source imports the union package and package.json does not depend on it', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies })).not.toContain(
      '@tensorflow/tfjs',
    );
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js|mjs)$/.test(e.name) && /from '@tensorflow\/tfjs'/.test(readFileSync(p, 'utf8')))
          offenders.push(path.relative(REPO, p));
      }
    };
    for (const d of ['src', 'stages', 'bench', 'scripts', 'bin', 'test']) walk(path.join(REPO, d));
    expect(offenders).toEqual([]);
  });

  it('the cpu backend prints no "running TensorFlow.js in Node.js" banner', () => {
    const script = `import { tf } from ${JSON.stringify(path.join(REPO, 'src/engine/tf.ts'))}; await tf.setBackend('cpu'); tf.tensor([1, 2]).square().dataSync(); console.log('ok');`;
    const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' });
    const ours = run(['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(ours.stdout.trim()).toBe('ok');
    expect(ours.stderr).not.toContain('running TensorFlow.js in');
    // the banner is real: the stock cpu backend prints it, so the check above can fail
    const stock = run([
      '-e',
      `const core = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu'); core.tensor([1]).dataSync();`,
    ]);
    expect(stock.stderr).toContain('running TensorFlow.js in');
  });
});
