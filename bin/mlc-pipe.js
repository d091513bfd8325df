#!/usr/bin/env node
// mlc-pipe runs from its TypeScript sources, no build step. For a fast start the CLI's own
// modules (src/cli, src/pipeline, src/runner, src/host, src/stage, stages/registry.ts, stages/entry-points.ts, src/errors.ts, src/entry-io.ts, src/suggest.ts, src/package-root.ts, src/stable-json.ts, src/environment.ts) are
// bundled by esbuild into node_modules/.cache/mlc-pipe/<hash of this folder>/ on first use and rebuilt whenever one of
// them changes (checked by mtime); everything else (stage modules, other parts of mlc-pipe, user
// code) loads through tsx, registered on demand. MLC_PIPE_FROM_SOURCE=1, or any problem with the
// cache, runs everything through tsx instead.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
globalThis[Symbol.for('mlc-pipe.package-root')] = root; // src/package-root.ts: the bundle's own path may be another checkout's
const entry = path.join(root, 'src', 'cli', 'main.ts');
// One cache per package folder: checkouts that share a node_modules (a symlink, a workspace) must
// never run each other's bundle.
const cacheDir = path.join(
  root,
  'node_modules',
  '.cache',
  'mlc-pipe',
  createHash('sha256').update(root).digest('hex').slice(0, 12),
);
const manifestFile = path.join(cacheDir, 'cli.json');
const BUNDLED = [
  'src/cli/',
  'src/pipeline/',
  'src/runner/',
  'src/host/',
  'src/stage/',
  'stages/registry.ts',
  'stages/entry-points.ts',
  'src/errors.ts',
  'src/entry-io.ts',
  'src/suggest.ts',
  'src/package-root.ts',
  'src/stable-json.ts',
  'src/environment.ts',
].map((p) => path.join(root, p));

function fresh() {
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const self = fileURLToPath(import.meta.url);
    if (m.inputs[self] !== statSync(self).mtimeMs) return undefined; // built by another version of this file
    for (const [file, mtimeMs] of Object.entries(m.inputs)) if (statSync(file).mtimeMs !== mtimeMs) return undefined;
    return path.join(cacheDir, m.bundle, 'main.mjs');
  } catch {
    return undefined;
  }
}

async function build() {
  const esbuild = await import('esbuild');
  const keepOutside = {
    name: 'mlc-pipe-cli-only',
    setup(b) {
      b.onResolve({ filter: /^\.{1,2}\// }, (args) => {
        const abs = path.resolve(args.resolveDir, args.path);
        if (BUNDLED.some((p) => abs === p || abs.startsWith(p))) return undefined;
        return { path: pathToFileURL(abs).href, external: true };
      });
    },
  };
  // A folder per build: the entry and the chunks of its dynamic imports. Splitting keeps what only
  // a dynamic import needs (bullmq and ioredis for `executor: bullmq`) out of a local run's start-up:
  // in one file esbuild hoists every external import to the top.
  const bundle = `cli-${process.pid}-${Date.now()}`;
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    outdir: path.join(cacheDir, bundle),
    splitting: true,
    entryNames: 'main',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    plugins: [keepOutside],
  });
  // This file too: what it bundles (BUNDLED) decides what the bundle holds.
  const self = fileURLToPath(import.meta.url);
  const inputs = { [self]: statSync(self).mtimeMs };
  for (const rel of Object.keys(result.metafile.inputs)) {
    const abs = path.resolve(root, rel);
    inputs[abs] = statSync(abs).mtimeMs;
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ bundle, inputs }));
  renameSync(tmp, manifestFile);
  for (const old of readdirSync(cacheDir)) {
    // earlier bundles; one a concurrent process is about to import may vanish: it then runs from source
    if (old.startsWith('cli-') && old !== bundle) rmSync(path.join(cacheDir, old), { recursive: true, force: true });
  }
  return path.join(cacheDir, bundle, 'main.mjs');
}

async function fromBundle() {
  if (process.env.MLC_PIPE_FROM_SOURCE) return undefined;
  try {
    const file = fresh() ?? (await build());
    return await import(pathToFileURL(file).href);
  } catch {
    return undefined;
  }
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('mlc-pipe.tsx-registered')] = true;
  return import('../src/cli/main.ts');
}

const cli = (await fromBundle()) ?? (await fromSource());
process.exitCode = await cli.main(process.argv);
