/**
 * src/environment.ts declares every environment variable the project reads: a read of an unlisted
 * variable anywhere in src/, stages/, bin/, scripts/ or native/ fails here, code in src/ and
 * stages/ reads only through the module, and docs/cli.md's table is the generated one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENT,
  environmentTable,
  isDeclaredVariable,
  NUMERICS_ENVIRONMENT,
  spliceEnvironmentTable,
} from '../src/environment.ts';
import { REPO } from './runner/project.ts';

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)));
}

/** Where the project's own code reads the environment (bench/ and test/ are not scanned). */
const SCANNED = [
  ...files('src', /\.ts$/),
  ...files('stages', /\.ts$/),
  ...files('bin', /\.m?js$/),
  ...files('scripts', /\.(m?js|ts)$/),
  ...readdirSync(path.join(REPO, 'native'))
    .filter((f) => /\.(mjs|gyp)$/.test(f))
    .map((f) => path.join('native', f)),
  ...files('native/src', /\.(cc|cpp|h)$/),
];

/**
 * Variable names a source reads: `process.env.X`, `process.env['X']`, `env.X` (X upper-case or
 * npm_*), `getenv("X")`, and in JS/TS any MLC_* token (C++ uses MLC_* for error codes too, and
 * binding.gyp for compile-time defines such as MLC_WITH_NCCL).
 */
export function variablesIn(text: string, cpp = false): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) found.add(m[1]!);
  for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*|npm_[a-z_]+)\b/g)) found.add(m[1]!);
  for (const m of text.matchAll(/\benv\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]/g)) found.add(m[1]!);
  for (const m of text.matchAll(/getenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g)) found.add(m[1]!);
  if (!cpp) for (const m of text.matchAll(/\bMLC_[A-Z0-9_]+/g)) found.add(m[0]);
  return [...found];
}

describe('the environment module', () => {
  it('lists every variable the sources read', () => {
    expect(SCANNED.length).toBeGreaterThan(100);
    const unlisted = SCANNED.flatMap((rel) =>
      variablesIn(readFileSync(path.join(REPO, rel), 'utf8'), /\.(cc|cpp|h|gyp)$/.test(rel))
        .filter((v) => !isDeclaredVariable(v))
        .map((v) => `${rel}: ${v}`),
    );
    expect(unlisted, 'declare each in src/environment.ts (name, owner, meaning, default, numerics)').toEqual([]);
  });

  it('the scan sees reads of each kind, and an unlisted one fails', () => {
    const text =
      'process.env.MLC_PIPE_NEW; process.env[\'OTHER_NEW\']; std::getenv("MLC_CC_NEW"); env.MLC_STORE; const p = `MLC_PARAM_${k}`';
    expect(variablesIn(text).sort()).toEqual(['MLC_CC_NEW', 'MLC_PARAM_', 'MLC_PIPE_NEW', 'MLC_STORE', 'OTHER_NEW']);
    expect(
      variablesIn(text)
        .filter((v) => !isDeclaredVariable(v))
        .sort(),
    ).toEqual(['MLC_CC_NEW', 'MLC_PIPE_NEW', 'OTHER_NEW']);
    // Not reads: a local `env.length`, a C++ error code; a C++ getenv is one.
    expect(variablesIn('const env = []; env.length; env.memory')).toEqual([]);
    expect(
      variablesIn('napi_throw_error(env, "MLC_NATIVE_OP", m); std::getenv("MLC_PIPE_NATIVE_MALLOC")', true),
    ).toEqual(['MLC_PIPE_NATIVE_MALLOC']);
  });

  it('src/ and stages/ read the environment only through src/environment.ts', () => {
    const direct = SCANNED.filter(
      (rel) => /^(src|stages)\//.test(rel) && rel !== path.join('src', 'environment.ts'),
    ).filter((rel) => /process\.env\b/.test(readFileSync(path.join(REPO, rel), 'utf8')));
    expect(
      direct,
      'use readEnv / readEnvPositiveInt / declaredValues / processEnvironment from src/environment.ts',
    ).toEqual([]);
  });

  it('each entry names an owner file that mentions it, a meaning and a default', () => {
    const names = ENVIRONMENT.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of ENVIRONMENT) {
      const owner = readFileSync(path.join(REPO, v.owner), 'utf8');
      expect(owner.includes(v.name.replace('<NAME>', '')), `${v.name} in ${v.owner}`).toBe(true);
      expect(v.meaning.length, v.name).toBeGreaterThan(10);
      expect(v.default.length, v.name).toBeGreaterThan(0);
    }
  });

  it('the stages that run the engine declare exactly the numerics-changing variables', async () => {
    expect([...NUMERICS_ENVIRONMENT].sort()).toEqual([
      'MLC_PIPE_CONV_GRAD',
      'MLC_PIPE_DEVICE',
      'MLC_PIPE_LIBTORCH',
      'MLC_PIPE_NATIVE',
      'MLC_PIPE_WINOGRAD',
      'MLC_PIPE_WINOGRAD_GEMM',
      'MLC_PIPE_WINOGRAD_TILE',
    ]);
    for (const name of ['train', 'evaluate', 'prune', 'convert']) {
      const def = (await import(path.join(REPO, 'stages', `${name}.ts`))).default as {
        environment?: readonly string[];
      };
      expect([name, def.environment]).toEqual([name, NUMERICS_ENVIRONMENT]);
    }
  });

  it('docs/cli.md has the generated table (run npx tsx scripts/gen-env-docs.ts)', () => {
    const doc = readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
    expect(doc).toBe(spliceEnvironmentTable(doc));
    for (const v of ENVIRONMENT) expect(environmentTable()).toContain(`| \`${v.name}\` |`);
    expect(() => spliceEnvironmentTable('no markers')).toThrow('docs/cli.md needs the markers');
  });
});
