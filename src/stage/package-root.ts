/**
 * The mlc-pipe package folder, found by walking up from this module to the package.json named
 * "mlc-pipe". Paths to the package's own files (schemas, built-in stages, the worker) go through
 * here rather than `import.meta.url`, so they stay right when the CLI runs from its cached bundle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Absolute path of the mlc-pipe package folder. */
export function packageRoot(): string {
  if (root !== undefined) return root;
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
