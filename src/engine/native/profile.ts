/**
 * A per-kernel profile of what the native backend does in `f`: wall time inside each addon op,
 * the rest (tfjs bookkeeping and the JS side of kernels), and every kernel that ran on the cpu
 * fallback. The engine benchmark prints it for one training step; `train` with `profile: true`
 * writes it to the log.
 */
import { tf } from '../tf.ts';
import { NATIVE, type NativeBackend } from './backend.ts';
import { fallbackCounts, resetFallbackCounts } from './kernels/fallback.ts';

export interface NativeProfile {
  /** Wall time of `f`. */
  totalMs: number;
  /** Time inside addon ops (ATen kernels, N-API crossings, allocation). */
  nativeMs: number;
  /** Addon ops by time, largest first. */
  ops: Array<{ op: string; ms: number; calls: number }>;
  /** Kernels that ran on the cpu fallback, with their call counts. */
  fallbacks: Array<{ kernel: string; calls: number }>;
  /** Tensors the addon copied only to change their memory layout (native/src/registry.h), and their bytes. */
  layoutCopies: number;
  layoutCopyBytes: number;
}

/** Runs `f` once on the active native backend and profiles it. */
export function profileNative(f: () => void): NativeProfile {
  if (tf.getBackend() !== NATIVE)
    throw new Error(`profileNative: the active backend is ${tf.getBackend()}, not native`);
  const be = tf.backend() as unknown as NativeBackend;
  const profile = new Map<string, { ms: number; calls: number }>();
  be.profile = profile;
  resetFallbackCounts();
  const before = be.addon.info();
  const t0 = performance.now();
  try {
    f();
  } finally {
    be.profile = null;
  }
  const totalMs = performance.now() - t0;
  const after = be.addon.info();
  const ops = [...profile.entries()].map(([op, p]) => ({ op, ms: p.ms, calls: p.calls })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs,
    nativeMs: ops.reduce((s, o) => s + o.ms, 0),
    ops,
    fallbacks: [...fallbackCounts().entries()].map(([kernel, calls]) => ({ kernel, calls })),
    layoutCopies: after.layoutCopies - before.layoutCopies,
    layoutCopyBytes: after.layoutCopyBytes - before.layoutCopyBytes,
  };
}

/** The profile as log lines: a header, the top `top` ops, then the fallback kernels. */
export function formatNativeProfile(p: NativeProfile, top = 15): string[] {
  const lines = [
    `native profile: ${p.totalMs.toFixed(1)} ms, ${p.nativeMs.toFixed(1)} ms in libtorch ops ` +
      `(${((100 * p.nativeMs) / p.totalMs).toFixed(0)}%), ${(p.totalMs - p.nativeMs).toFixed(1)} ms in tfjs/JS`,
  ];
  for (const o of p.ops.slice(0, top))
    lines.push(`  ${o.op.padEnd(28)} ${o.ms.toFixed(1).padStart(8)} ms ${String(o.calls).padStart(5)} calls`);
  lines.push(`  layout copies: ${p.layoutCopies} (${(p.layoutCopyBytes / 2 ** 20).toFixed(1)} MiB)`);
  lines.push(
    p.fallbacks.length
      ? `  cpu fallback kernels: ${p.fallbacks.map((f) => `${f.kernel} ×${f.calls}`).join(', ')}`
      : '  cpu fallback kernels: none',
  );
  return lines;
}
