/**
 * Registers the `native` backend (libtorch through the addon) and its kernels. Every kernel the
 * cpu backend has and the addon does not gets a fallback (./kernels/fallback.ts), so any tfjs
 * program runs on native, correctly, and `fallbackCounts()` says what left native code.
 */
import { tf } from '../tf.ts';
import type { Addon } from './addon.ts';
import { NATIVE, NativeBackend } from './backend.ts';
import { convKernels } from './kernels/conv.ts';
import { matmulKernels } from './kernels/matmul.ts';
import { poolKernels } from './kernels/pool.ts';
import { normKernels } from './kernels/norm.ts';
import { elementwiseKernels } from './kernels/elementwise.ts';
import { reduceKernels } from './kernels/reduce.ts';
import { shapeKernels } from './kernels/shape.ts';
import { opNativeKernels } from '../ops/native-kernels.ts';
import { fallbackConfigs } from './kernels/fallback.ts';
import { registerNativeGradients } from './gradients.ts';
import { installNativeClone } from './tape.ts';

/** Kernels that run in libtorch (the rest fall back to the cpu implementation). */
export const nativeKernelNames: string[] = [];

let registeredWith: Addon | undefined;

/** Registers the backend factory and all kernels once; `device` as the addon names it. */
export function registerNative(addon: Addon, device: string): void {
  if (registeredWith) return;
  registeredWith = addon;
  tf.registerBackend(NATIVE, () => new NativeBackend(addon, device), 3);
  const addonOps = new Set(addon.ops());
  for (const config of [
    ...convKernels,
    ...matmulKernels,
    ...poolKernels,
    ...normKernels,
    ...elementwiseKernels,
    ...reduceKernels,
    ...shapeKernels,
    ...opNativeKernels.filter((c) => addonOps.has(c.kernelName)),
  ]) {
    if (tf.getKernel(config.kernelName, NATIVE) == null) {
      tf.registerKernel(config);
      nativeKernelNames.push(config.kernelName);
    }
  }
  for (const config of fallbackConfigs()) tf.registerKernel(config);
  registerNativeGradients();
  installNativeClone();
}

export { NATIVE, NativeBackend, nativeMemory } from './backend.ts';
export { fallbackCounts, resetFallbackCounts } from './kernels/fallback.ts';
export { loadAddon } from './addon.ts';
export { profileNative, formatNativeProfile, type NativeProfile } from './profile.ts';
