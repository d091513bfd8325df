/**
 * The precision policy of the engines, `precision: fp32 | bf16 | auto` (issue #22), in a module
 * that does not load TensorFlow.js (stage schemas read it when a pipeline is planned).
 *
 * `bf16` is mixed precision with PyTorch's autocast semantics, on the native engine only:
 * convolutions, matmuls and their gradients compute in bfloat16 inside the addon
 * (native/src/precision.cc); batch norm and its statistics, softmax, the losses, reductions and
 * the optimizer compute in float32, on float32 master weights. Every tensor tfjs sees stays
 * float32; saved models and exports are float32 (bf16 is a runtime choice, not a file format).
 *
 * `auto` picks bf16 where it pays: the native engine on a CPU with bf16 units (AMX or
 * AVX512-BF16, the `amx_bf16` / `avx512_bf16` flags of /proc/cpuinfo), or on a CUDA device
 * (`MLC_PIPE_DEVICE=cuda`); fp32 everywhere else, including CPUs without those units, where
 * oneDNN can only emulate bf16 (slower than fp32). The other engines (tensorflow, webgpu, wasm,
 * cpu) have no mixed precision: `auto` resolves to fp32 for them and an explicit `bf16` is refused
 * before anything runs (exit 2).
 *
 * The resolved precision (never `auto`) is what a stage's cache key holds (`resolvePrecisionParams`,
 * the stages' `resolveParams`), since bf16 changes the numerics. The param itself is
 * `precisionParam()` in ./options.ts; `startEngine` (./start/start-engine.ts) applies it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readEnv } from '../environment.ts';
import type { EngineName, PrecisionName } from './options.ts';
import { ADDON_PATH } from './native/addon.ts';

/** A precision after `auto` is resolved. */
export type ResolvedPrecision = Exclude<PrecisionName, 'auto'>;

/** The CPU's bf16 units, from /proc/cpuinfo's flags (Linux; elsewhere none are known). */
export interface CpuBf16Units {
  amx: boolean;
  avx512bf16: boolean;
}

/** Reads the bf16 flags of `cpuinfo` (the text of /proc/cpuinfo; read from the system when omitted). */
export function cpuBf16Units(cpuinfo?: string): CpuBf16Units {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = '';
    }
  }
  const flags = new Set((/^flags\s*:(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/));
  return { amx: flags.has('amx_bf16'), avx512bf16: flags.has('avx512_bf16') };
}

/** What resolving a precision needs to know about the machine and the engine. */
export interface PrecisionContext {
  /** The engine that runs (or, before it starts, the one asked for; `auto` = native if it can start). */
  engine: EngineName | string;
  /** Whether the native engine is (or, before it starts, can be) the one running. */
  native: boolean;
  /** The native engine's device, e.g. `cpu` or `cuda:0`. Defaults to MLC_PIPE_DEVICE, else cpu. */
  device?: string;
  /** The CPU's bf16 units. Defaults to this machine's. */
  cpu?: CpuBf16Units;
}

export interface PrecisionChoice {
  precision: ResolvedPrecision;
  /** Why, one line, e.g. `auto: CPU has amx_bf16`. */
  reason: string;
}

function cpuUnits(cpu: CpuBf16Units): string {
  return [cpu.amx ? 'amx_bf16' : '', cpu.avx512bf16 ? 'avx512_bf16' : ''].filter(Boolean).join(', ');
}

/** Resolves `auto` (and checks an explicit `bf16` can run) for an engine on this machine. */
export function resolvePrecision(requested: PrecisionName, ctx: PrecisionContext): PrecisionChoice {
  const nativeEngine = ctx.native && (ctx.engine === 'native' || ctx.engine === 'auto');
  if (requested === 'fp32') return { precision: 'fp32', reason: 'asked for' };
  if (requested === 'bf16') {
    if (!nativeEngine) return { precision: 'bf16', reason: `refused: engine ${ctx.engine} has no mixed precision` };
    return { precision: 'bf16', reason: 'asked for' };
  }
  if (!nativeEngine) return { precision: 'fp32', reason: `auto: engine ${ctx.engine} has no mixed precision` };
  const device = ctx.device ?? readEnv('MLC_PIPE_DEVICE') ?? 'cpu';
  if (device.startsWith('cuda')) return { precision: 'bf16', reason: `auto: device ${device}` };
  const cpu = ctx.cpu ?? cpuBf16Units();
  const units = cpuUnits(cpu);
  if (units) return { precision: 'bf16', reason: `auto: CPU has ${units}` };
  return {
    precision: 'fp32',
    reason:
      'auto: CPU has no bf16 units (no amx_bf16 or avx512_bf16; oneDNN would only emulate bf16, slower than fp32)',
  };
}

/** Whether a choice is an explicit bf16 the engine cannot run (refused, exit 2). */
export function refusedChoice(choice: PrecisionChoice): boolean {
  return choice.reason.startsWith('refused');
}

/**
 * Whether the native engine can start, as far as planning can tell without loading libtorch: the
 * addon is built and not hidden by MLC_PIPE_NATIVE=off.
 */
export function nativeBuilt(): boolean {
  return readEnv('MLC_PIPE_NATIVE') !== 'off' && existsSync(ADDON_PATH);
}

/**
 * A stage's params with `precision: auto` resolved for this machine (the stages' `resolveParams`),
 * so the cache key and the lock file hold what runs. Other precisions are returned unchanged.
 */
export function resolvePrecisionParams<P extends { precision?: PrecisionName; engine?: EngineName }>(params: P): P {
  if (params.precision !== 'auto') return params;
  const engine = params.engine ?? 'auto';
  return { ...params, precision: resolvePrecision('auto', { engine, native: nativeBuilt() }).precision };
}
