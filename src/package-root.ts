/**
 * The mlc-pipe package folder, found by walking up from this module to the package.json named
 * "mlc-pipe". Paths to the package's own files (schemas, built-in stages, the worker) go through
 * here rather than `import.meta.url`, so they stay right when the CLI runs from its cached bundle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Where bin/mlc-pipe.js records the package folder it runs from (see packageRoot). */
const ROOT_KEY = Symbol.for('mlc-pipe.package-root');

/**
 * Absolute path of the mlc-pipe package folder. The CLI's entry records it first: its bundle lives
 * in node_modules/.cache, and when node_modules is a symlink shared by several checkouts, walking
 * up from the bundle's real path would find another checkout.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  const recorded = (globalThis as Record<symbol, unknown>)[ROOT_KEY];
  if (typeof recorded === 'string') return (root = recorded);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'mlc-pipe') return (root = dir);
    } catch {
      // no package.json here
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`mlc-pipe: cannot find the package folder above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** `path.join(packageRoot(), ...parts)`. */
export function fromPackageRoot(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}
