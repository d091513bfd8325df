/**
 * TypeScript loading for stage modules and other on-demand .ts imports: registers tsx's ESM
 * hooks once per process (bin/mlc-pipe.js does it up front when it runs from source).
 */
const FLAG = Symbol.for('mlc-pipe.tsx-registered');

/** Marks tsx as registered (called by the bin scripts after `register()`). */
export function markTsxRegistered(): void {
  (globalThis as Record<symbol, unknown>)[FLAG] = true;
}

/** Registers tsx unless done already; afterwards `import()` of .ts files works. */
export async function ensureTsx(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  if ('__vitest_worker__' in globalThis) return; // inside vitest, which loads TypeScript itself
  if (!g[FLAG]) {
    const { register } = await import('tsx/esm/api');
    register();
    g[FLAG] = true;
  }
  await ensureSelfResolve();
}

const SELF = Symbol.for('mlc-pipe.self-resolve-registered');

/**
 * Lets stage modules import `mlc-pipe` / `mlc-pipe/stage` even where mlc-pipe is not installed
 * (bin/self-resolve-hook.mjs maps the specifier to this package's "exports"). Once per process.
 */
export async function ensureSelfResolve(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  if (g[SELF]) return;
  const { register } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const { packageRoot } = await import('../package-root.ts');
  const root = pathToFileURL(`${packageRoot()}/`);
  register(new URL('bin/self-resolve-hook.mjs', root), { data: { root: root.href } });
  g[SELF] = true;
}
