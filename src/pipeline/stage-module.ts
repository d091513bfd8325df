/**
 * Resolves and imports the module behind `uses:`: a name in the registry the caller gives (the
 * built-ins) or a path to a .ts/.js file. The CLI runs under tsx, so TypeScript modules load
 * without a build step.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStageDefinition, type StageDefinition, type StageRegistry } from '../stage/define.ts';
import { ensureTsx } from '../stage/tsx.ts';
import { didYouMean } from '../suggest.ts';
import { readEnvPositive } from '../environment.ts';

export type ResolvedModule =
  { ok: true; path: string; definition: StageDefinition } | { ok: false; message: string; hint?: string };

/** Whether a `uses` value names a file rather than a built-in. */
export function isPathSpecifier(uses: string): boolean {
  return uses.includes('/') || uses.includes('\\') || path.isAbsolute(uses) || /\.(m?[jt]s)$/.test(uses);
}

/** File extensions a `uses:` path may have: ES modules in TypeScript or JavaScript. */
export const STAGE_MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/**
 * Seconds a stage module may take to import (its top level, e.g. a top-level await), from
 * MLC_PIPE_IMPORT_TIMEOUT_S. Defaults to 60.
 */
export function importTimeoutSeconds(): number {
  return readEnvPositive('MLC_PIPE_IMPORT_TIMEOUT_S') ?? 60;
}

const caches = new WeakMap<StageRegistry, Map<string, Promise<ResolvedModule>>>();

/** A registry without names (only `uses: ./path.ts` resolves). */
export const NO_STAGES: StageRegistry = Object.freeze({ names: () => [], path: () => undefined });

class ImportTimeout extends Error {}

/** `import(url)`, rejected with ImportTimeout after `seconds` (the timer also keeps the process alive while waiting). */
function importWithTimeout(url: string, seconds: number): Promise<{ default?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ImportTimeout()), seconds * 1000);
  });
  return Promise.race([import(url) as Promise<{ default?: unknown }>, timeout]).finally(() => clearTimeout(timer));
}

async function importDefinition(abs: string, label: string): Promise<ResolvedModule> {
  let mod: { default?: unknown };
  const seconds = importTimeoutSeconds();
  try {
    await ensureTsx();
    mod = await importWithTimeout(pathToFileURL(abs).href, seconds);
  } catch (err) {
    if (err instanceof ImportTimeout) {
      return {
        ok: false,
        message: `stage module ${label} did not finish loading within ${seconds} s (a top-level await that never settles?)`,
        hint: 'move slow or blocking work from the top level into run(); MLC_PIPE_IMPORT_TIMEOUT_S sets the limit',
      };
    }
    const msg = (err as Error).message.split('\n')[0] ?? '';
    const cjs = /require\(\)|ERR_REQUIRE_ESM|Cannot use import statement/.test(msg);
    return {
      ok: false,
      message: `cannot load stage module ${label}: ${msg}`,
      hint: cjs
        ? 'stage modules are ES modules: name the file .mts, or put {"type": "module"} in the nearest package.json'
        : 'fix the module so that it imports cleanly',
    };
  }
  if (!isStageDefinition(mod.default)) {
    return {
      ok: false,
      message: `${label} does not default-export a stage`,
      hint: 'end the module with `export default defineStage({ ... })`',
    };
  }
  return { ok: true, path: abs, definition: mod.default };
}

/** Resolves `uses` (a path relative to `dir`, or a name in `registry`) and imports its definition; never throws. */
export function resolveStageModule(uses: string, dir: string, registry: StageRegistry): Promise<ResolvedModule> {
  let cache = caches.get(registry);
  if (!cache) caches.set(registry, (cache = new Map()));
  const key = `${dir}\0${uses}`;
  let p = cache.get(key);
  if (!p) {
    p = resolveUncached(uses, dir, registry);
    cache.set(key, p);
  }
  return p;
}

async function resolveUncached(uses: string, dir: string, registry: StageRegistry): Promise<ResolvedModule> {
  if (isPathSpecifier(uses)) {
    const abs = path.resolve(dir, uses);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st)
      return {
        ok: false,
        message: `stage module not found: ${abs}`,
        hint: 'paths in uses are relative to the pipeline file',
      };
    if (!st.isFile() || !(STAGE_MODULE_EXTENSIONS as readonly string[]).includes(path.extname(abs))) {
      return {
        ok: false,
        message: `${uses} is not a stage module: uses takes a ${STAGE_MODULE_EXTENSIONS.join(', ')} file or a built-in stage name`,
        hint: `point uses at the module that default-exports defineStage({ ... }) (built-ins: ${registry.names().join(', ') || 'none'})`,
      };
    }
    return importDefinition(abs, uses);
  }
  const abs = registry.path(uses);
  if (abs === undefined) {
    const names = registry.names();
    const hint = didYouMean(uses, names);
    return {
      ok: false,
      message: `unknown stage "${uses}" (built-ins: ${names.join(', ') || 'none'})`,
      hint: hint ?? 'a custom stage is a path such as ./my-stage.ts',
    };
  }
  if (!statSync(abs, { throwIfNoEntry: false })) {
    return {
      ok: false,
      message: `built-in stage "${uses}" is listed but its module ${path.basename(abs)} is not installed`,
      hint: 'update mlc-pipe or use a custom stage',
    };
  }
  return importDefinition(abs, `built-in stage "${uses}"`);
}
