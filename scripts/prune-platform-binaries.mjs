#!/usr/bin/env node
/**
 * postinstall: keeps only this platform's native binaries of the two dependencies that ship every
 * platform's in one package: onnxruntime-node (`bin/napi-v6/<os>/<arch>/`, 288 MB for all five)
 * and the optional webgpu (`dist/<os>-<arch>/`, 132 MB). Neither publishes per-platform packages
 * (as sharp and esbuild do), so npm installs them whole; each loads only
 * `<process.platform>/<process.arch>` at run time, so the other folders are dead weight.
 *
 * Set MLC_PIPE_KEEP_ALL_BINARIES=1 to keep everything (e.g. a node_modules built here and copied
 * to another platform). Plain Node, no dependencies: it runs before anything is built.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** Bytes under `p`. */
function size(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((a, n) => a + size(join(p, n)), 0);
}

/** The package folder of `name`, or undefined when it is not installed (webgpu is optional). */
function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/**
 * Folders to remove for this platform.
 * @param {string} platform process.platform
 * @param {string} arch process.arch
 */
export function foreignBinaryDirs(
  platform,
  arch,
  dirs = { ort: packageDir('onnxruntime-node'), webgpu: packageDir('webgpu') },
) {
  const out = [];
  if (dirs.ort) {
    const bin = join(dirs.ort, 'bin', 'napi-v6');
    for (const os of existsSync(bin) ? readdirSync(bin) : []) {
      for (const a of readdirSync(join(bin, os))) if (os !== platform || a !== arch) out.push(join(bin, os, a));
    }
  }
  if (dirs.webgpu) {
    const dist = join(dirs.webgpu, 'dist');
    const mine = `${platform}-${platform === 'darwin' ? 'universal' : arch}`;
    for (const d of existsSync(dist) ? readdirSync(dist) : [])
      if (d !== mine && statSync(join(dist, d)).isDirectory()) out.push(join(dist, d));
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.env.MLC_PIPE_KEEP_ALL_BINARIES === '1') {
    console.log("mlc-pipe: MLC_PIPE_KEEP_ALL_BINARIES=1, keeping every platform's binaries");
  } else {
    let freed = 0;
    const removed = foreignBinaryDirs(process.platform, process.arch);
    for (const d of removed) {
      freed += size(d);
      rmSync(d, { recursive: true, force: true });
    }
    if (removed.length)
      console.log(
        `mlc-pipe: removed ${removed.length} other-platform binary folders of onnxruntime-node/webgpu (${(freed / 2 ** 20).toFixed(0)} MB)`,
      );
  }
}
