/**
 * Registers every gradient and the chained tensor ops (`x.add(y)`, …) of tfjs-core. tfjs-core's
 * Node entry leaves both out; the `@tensorflow/tfjs` union package ships them inside its 1.3 MB
 * Node bundle, which would pull webgl, the converter and tfjs-data (≈ 200 MB installed) into
 * the install. Instead, tfjs-core's own ES modules `dist/register_all_gradients.js` and
 * `dist/public/chained_ops/register_all_chained_ops.js` are bundled once with esbuild into a
 * CommonJS file cached beside node_modules (keyed by the tfjs-core version) and loaded from
 * there. Porting note: the same bundling the union package does at its release; the bundled
 * copy attaches to the process-wide engine, kernel and gradient registries (tfjs keeps them on
 * globalThis), exactly as the union bundle's copy does.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Folders tried for the cached bundle: `<node_modules>/.cache/mlc-pipe`, else the temp folder. */
function cacheDirs(coreDir: string): string[] {
  return [
    join(dirname(dirname(coreDir)), '.cache', 'mlc-pipe'),
    join(tmpdir(), `mlc-pipe-${process.getuid?.() ?? 'user'}`),
  ];
}

/** Path of the bundle for this tfjs-core, building it when missing. */
export function tfjsExtrasBundle(): string {
  const coreDir = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
  const { version } = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as { version: string };
  const name = `tfjs-core-${version}-gradients-chained-ops.cjs`;
  let lastError: unknown;
  for (const dir of cacheDirs(coreDir)) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      const esbuild = require('esbuild') as typeof import('esbuild');
      esbuild.buildSync({
        stdin: {
          contents: `import './dist/register_all_gradients.js';\nimport './dist/public/chained_ops/register_all_chained_ops.js';\n`,
          resolveDir: coreDir,
          sourcefile: 'tfjs-extras.js',
        },
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        logLevel: 'silent',
        outfile: tmp,
      });
      renameSync(tmp, file); // atomic: a concurrent process sees no file or a whole one
      return file;
    } catch (err) {
      lastError = err;
      rmSync(`${file}.${process.pid}.tmp`, { force: true });
    }
  }
  throw new Error(`cannot build the tfjs gradients bundle: ${(lastError as Error)?.message}`, { cause: lastError });
}

let done = false;

/** Loads the bundle once per process. */
export function registerGradientsAndChainedOps(): void {
  if (done) return;
  require(tfjsExtrasBundle());
  done = true;
}
