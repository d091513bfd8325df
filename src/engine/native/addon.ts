/**
 * Loads the libtorch addon (native/, built from source at `npm ci` by native/build.mjs) and says
 * why when it can't. `MLC_PIPE_NATIVE=off` hides it (the switch tests use to check that `auto`
 * falls back cleanly).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { readEnv } from '../../environment.ts';

/** An opaque native tensor handle (a napi external owning an at::Tensor). */
export type Handle = { readonly __native: unique symbol };

/** The addon's functions (native/src/addon.cc). */
export interface Addon {
  fromArray(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number): Handle;
  toArray(handle: Handle): Float32Array | Int32Array | Uint8Array;
  free(handle: Handle): void;
  run(op: number, inputs: Handle[], attrs: number[] | Float64Array, shapes: Int32Array): Handle | Handle[] | undefined;
  ops(): string[];
  setThreads(n: number): number;
  setDevice(device: string): string;
  /** What convs and matmuls compute in (native/src/precision.cc); fp16 only on a CUDA device. */
  setPrecision(precision: 'fp32' | 'bf16' | 'fp16'): string;
  info(): {
    torch: string;
    threads: number;
    cuda: boolean;
    mkldnn: boolean;
    openmp: boolean;
    liveHandles: number;
    liveBytes: number;
    layoutCopies: number;
    layoutCopyBytes: number;
    /** Tensors derived from live handles (packed/cast filters, NCHW/cast copies) and their bytes. */
    derivedTensors: number;
    derivedBytes: number;
    precision: 'fp32' | 'bf16' | 'fp16';
  };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where node-gyp puts the addon. */
export const ADDON_PATH = resolve(root, 'native/build/Release/mlc_torch.node');
/** What native/build.mjs wrote about the last build (its reason when it skipped or failed). */
export const BUILD_STATUS_PATH = resolve(root, 'native/build/status.json');

let loaded: { addon?: Addon; reason?: string } | undefined;

function buildReason(): string {
  try {
    const status = JSON.parse(readFileSync(BUILD_STATUS_PATH, 'utf8')) as { ok?: boolean; reason?: string };
    if (status.reason) return status.reason;
  } catch {
    // no status file: the build never ran
  }
  return 'the addon was never built';
}

/** The addon, or the reason it is unavailable (one line). */
export function loadAddon(): { addon?: Addon; reason?: string } {
  if (readEnv('MLC_PIPE_NATIVE') === 'off') return { reason: 'hidden by MLC_PIPE_NATIVE=off' };
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { reason: `${buildReason()} (install Debian's libtorch-dev, then \`npm run build:native\`)` };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(ADDON_PATH) as Addon };
  } catch (err) {
    loaded = {
      reason: `the addon failed to load: ${(err as Error).message.split('\n')[0]} (rebuild with \`npm run build:native\`)`,
    };
  }
  return loaded;
}
