/**
 * `native` engine: libtorch (ATen, oneDNN, OpenMP) through this project's N-API addon (native/),
 * built from source at install against Debian's libtorch-dev, or against any libtorch with
 * `MLC_PIPE_LIBTORCH=<dir>` (a CUDA build then runs on the GPU: `MLC_PIPE_DEVICE` picks the
 * device, default cuda when the build has it). Intra-op threads default to every core.
 */
import { tf } from '../../tf.ts';
import { EngineUnavailable } from './unavailable.ts';
import { loadAddon } from '../../native/addon.ts';
import { resolveThreads } from '../threads.ts';
import { readEnv } from '../../../environment.ts';

/** Starts the native engine; returns notes for the log (libtorch version, device, threads). */
export async function startNative(threads?: number): Promise<string[]> {
  const { addon, reason } = loadAddon();
  if (!addon) throw new EngineUnavailable(reason!);
  const info = addon.info();
  const device = addon.setDevice(readEnv('MLC_PIPE_DEVICE') ?? (info.cuda ? 'cuda' : 'cpu'));
  const { registerNative } = await import('../../native/index.ts');
  registerNative(addon, device);
  const used = addon.setThreads(resolveThreads(threads, undefined));
  if (!(await tf.setBackend('native'))) throw new EngineUnavailable('the native backend failed to initialise');
  await tf.ready();
  return [`libtorch ${info.torch}`, `device=${device}`, `threads=${used}`, `oneDNN=${info.mkldnn ? 'on' : 'off'}`];
}

/** Sets the intra-op threads of a running native engine (the scheduler's cpu resources). */
export function setNativeThreads(threads: number): number {
  const { addon } = loadAddon();
  return addon ? addon.setThreads(threads) : 0;
}

/**
 * Sets what the native engine's convolutions and matmuls compute in (native/src/precision.cc):
 * `bf16` = mixed precision, `fp32` = float32 throughout. A no-op without the addon.
 */
export function setNativePrecision(precision: 'fp32' | 'bf16'): void {
  const { addon } = loadAddon();
  if (!addon) return;
  // An addon built before mixed precision existed computes fp32 only: fine for fp32, a rebuild for bf16.
  if (typeof addon.setPrecision !== 'function') {
    if (precision === 'fp32') return;
    throw new EngineUnavailable(
      'the native addon predates mixed precision (no setPrecision); rebuild it with `npm run build:native`',
    );
  }
  addon.setPrecision(precision);
}
