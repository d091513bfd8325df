/**
 * `webgpu` engine: `@tensorflow/tfjs-backend-webgpu` on Dawn for Node (the `webgpu` package, both
 * optional dependencies). Dawn is created, its WebGPU globals (GPUBufferUsage, …) are installed and
 * `navigator.gpu` is set *before* the tfjs backend is imported, because that module registers its
 * backend only when `navigator.gpu` exists. An adapter is requested first so that a machine
 * without a GPU (Dawn finds no Vulkan/Metal/D3D device) is reported, not crashed on; software
 * (fallback) adapters are refused unless the engine was asked for by name.
 *
 * While Dawn's GPU object is referenced Node will not exit: {@link stopWebgpu} drops it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../tf.ts';
import { readEnv } from '../../../environment.ts';
import { EngineUnavailable, isNotInstalled } from './unavailable.ts';

/** Where Linux distributions put the Vulkan loader, plus LD_LIBRARY_PATH. */
function vulkanLoaderDirs(): string[] {
  const fromEnv = (readEnv('LD_LIBRARY_PATH') ?? '').split(':').filter(Boolean);
  return [
    ...fromEnv,
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib64',
    '/usr/local/lib',
  ];
}

/**
 * On Linux, Dawn computes through Vulkan: without the loader there is no adapter. Checking the
 * file first keeps `auto` fast and silent on GPU-less machines (Dawn itself prints a warning).
 */
export function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  return vulkanLoaderDirs().some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

interface Adapter {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

const state: { gpu?: Gpu; definedNavigator?: boolean } = {};

/** One line describing an adapter, e.g. `nvidia hopper (NVIDIA H100 80GB HBM3)`. */
export function describeAdapter(adapter: Adapter): string {
  const i = adapter.info ?? {};
  return (
    [i.vendor, i.architecture].filter(Boolean).join(' ') + (i.description ? ` (${i.description})` : '') ||
    'unnamed adapter'
  );
}

/**
 * Imports an optional dependency through `load` (a literal `import()`, so bundlers can include the
 * tfjs backend lazily, after navigator.gpu exists); a missing package becomes EngineUnavailable.
 */
async function importOptional<T>(name: string, load: () => Promise<unknown>): Promise<T> {
  try {
    return (await load()) as T;
  } catch (err) {
    throw new EngineUnavailable(
      isNotInstalled(err, name)
        ? `${name} is not installed (npm install ${name})`
        : `${name} failed to load (${(err as Error).message.split('\n')[0]})`,
      { cause: err },
    );
  }
}

function exposeGpu(gpu: Gpu): void {
  const g = globalThis as { navigator?: { gpu?: Gpu } };
  if (g.navigator != null) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    state.definedNavigator = true;
  }
}

/**
 * Starts the webgpu backend; returns a description of the adapter. `allowFallback` accepts a
 * software adapter. `flags` are passed to Dawn's `create` (e.g. `backend=vulkan`); defaults to
 * the comma-separated `DAWN_FLAGS` environment variable.
 */
export async function startWebgpu(
  options: { allowFallback?: boolean; flags?: string[]; requireVulkan?: boolean } = {},
): Promise<string> {
  if (options.requireVulkan && !hasVulkanLoader()) {
    throw new EngineUnavailable('no Vulkan loader (libvulkan.so.1) on this machine, so no GPU adapter for Dawn');
  }
  const dawn = await importOptional<DawnModule>('webgpu', () => import('webgpu'));
  const flags = options.flags ?? readEnv('DAWN_FLAGS')?.split(',') ?? [];
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null)
    throw new EngineUnavailable('no WebGPU adapter (Dawn found no Vulkan, Metal or D3D12 GPU device)');
  if ((adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter) && !options.allowFallback) {
    throw new EngineUnavailable(
      `only a software fallback adapter is available (${describeAdapter(adapter)}); slower than wasm`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  exposeGpu(gpu);
  state.gpu = gpu;
  try {
    await importOptional('@tensorflow/tfjs-backend-webgpu', () => import('@tensorflow/tfjs-backend-webgpu'));
    if (tf.findBackendFactory('webgpu') == null) {
      throw new EngineUnavailable(
        '@tensorflow/tfjs-backend-webgpu did not register its backend (another @tensorflow/tfjs-core copy?)',
      );
    }
    if (!(await tf.setBackend('webgpu')))
      throw new EngineUnavailable('the webgpu backend failed to initialise (see the warning above)');
    await tf.ready();
  } catch (err) {
    stopWebgpu();
    throw err;
  }
  return describeAdapter(adapter);
}

/** Drops the Dawn GPU object (so Node can exit) and removes the webgpu backend if it was started. */
export function stopWebgpu(): void {
  if (tf.findBackend('webgpu') != null) tf.removeBackend('webgpu');
  const g = globalThis as { navigator?: { gpu?: Gpu } };
  if (state.gpu != null && g.navigator?.gpu === state.gpu) {
    if (state.definedNavigator) delete (globalThis as { navigator?: unknown }).navigator;
    else delete g.navigator.gpu;
  }
  state.gpu = undefined;
  state.definedNavigator = false;
}
