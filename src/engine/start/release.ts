/**
 * Releases the engine at process exit, only if this process loaded TensorFlow.js (tfjs-core keeps
 * its engine in `globalThis._tfengine`): a process that never touched tf pays nothing.
 */
export async function releaseEngineIfLoaded(): Promise<void> {
  if ((globalThis as { _tfengine?: unknown })._tfengine == null) return;
  const { shutdownEngine } = await import('../index.ts');
  shutdownEngine();
}
