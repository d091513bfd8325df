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
  if (g[FLAG] || '__vitest_worker__' in globalThis) return; // inside vitest, which loads TypeScript itself
  const { register } = await import('tsx/esm/api');
  register();
  g[FLAG] = true;
}
