#!/usr/bin/env node
// Builds the libtorch addon (native/binding.gyp) at `npm ci`/`npm install`, offline, with the
// node-gyp that npm ships and Node's own headers. Never fails the install: when libtorch is absent
// or the build fails, it writes the reason to native/build/status.json, which `engine: native`
// reports, and exits 0. `npm run build:native` runs it again (set MLC_PIPE_NATIVE_BUILD=strict to
// make a failure exit non-zero).
//   MLC_PIPE_LIBTORCH=<dir>       build against another libtorch (e.g. a CUDA build from a PyTorch
//                                 install: <site-packages>/torch); default: Debian's libtorch-dev
//   MLC_PIPE_LIBTORCH_CXX11_ABI=0 for libtorch builds made with the old C++ ABI
//   MLC_PIPE_NATIVE_BUILD=skip    do not build
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const statusPath = join(here, 'build', 'status.json');
const strict = process.env.MLC_PIPE_NATIVE_BUILD === 'strict';

function finish(ok, reason, detail) {
  mkdirSync(dirname(statusPath), { recursive: true });
  writeFileSync(
    statusPath,
    JSON.stringify(
      { ok, reason, detail, libtorch: process.env.MLC_PIPE_LIBTORCH ?? '', at: new Date().toISOString() },
      null,
      2,
    ) + '\n',
  );
  console.log(ok ? 'mlc-pipe: native engine built (libtorch addon)' : `mlc-pipe: native engine not built: ${reason}`);
  process.exit(ok || !strict ? 0 : 1);
}

if (process.env.MLC_PIPE_NATIVE_BUILD === 'skip') finish(false, 'the build was skipped (MLC_PIPE_NATIVE_BUILD=skip)');

// Already built from these sources against this libtorch (e.g. `npx mlc-pipe` installing the
// project into npm's cache, which runs this script again): nothing to do.
function upToDate() {
  const addon = join(here, 'build', 'Release', 'mlc_torch.node');
  if (!existsSync(addon) || !existsSync(statusPath)) return false;
  try {
    const status = JSON.parse(readFileSync(statusPath, 'utf8'));
    if (!status.ok || (status.libtorch ?? '') !== (process.env.MLC_PIPE_LIBTORCH ?? '')) return false;
  } catch {
    return false;
  }
  const built = statSync(addon).mtimeMs;
  const sources = [join(here, 'binding.gyp'), ...readdirSync(join(here, 'src')).map((f) => join(here, 'src', f))];
  return sources.every((f) => statSync(f).mtimeMs <= built);
}
if (process.env.MLC_PIPE_NATIVE_BUILD !== 'strict' && upToDate()) {
  console.log('mlc-pipe: native engine already built (libtorch addon)');
  process.exit(0);
}

const libtorch = process.env.MLC_PIPE_LIBTORCH;
const header = libtorch ? join(libtorch, 'include', 'ATen', 'ATen.h') : '/usr/include/ATen/ATen.h';
if (!existsSync(header)) {
  finish(
    false,
    libtorch
      ? `no libtorch headers at ${header} (MLC_PIPE_LIBTORCH must name a libtorch folder with include/ and lib/)`
      : 'libtorch is not installed (Debian: apt-get install libtorch-dev)',
  );
}

// node-gyp: the one npm ships (on PATH inside npm scripts), else npm's own copy.
function nodeGyp() {
  const candidates = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a dependency */
  }
  const npmDir = process.env.npm_execpath
    ? resolve(dirname(process.env.npm_execpath), '..')
    : '/usr/lib/node_modules/npm';
  candidates.push(
    join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  return candidates.find((p) => existsSync(p));
}

const gyp = nodeGyp();
if (!gyp) finish(false, 'node-gyp was not found (it ships with npm)');
// Node's headers: npm's nodedir setting, else the ones installed beside node (never downloaded).
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const args = [
  gyp,
  'rebuild',
  `--jobs=${process.env.MLC_PIPE_NATIVE_JOBS ?? 'max'}`,
  ...(nodedir ? [`--nodedir=${nodedir}`] : []),
];
const started = Date.now();
const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', maxBuffer: 64 << 20 });
const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
mkdirSync(join(here, 'build'), { recursive: true });
writeFileSync(join(here, 'build', 'build.log'), log);
if (r.status !== 0) {
  const firstError = log.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exited with ${r.status}`;
  finish(false, `the addon build failed: ${firstError.trim()} (full log: native/build/build.log)`);
}
finish(true, undefined, `built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
