/**
 * Backend selection: which TensorFlow.js backend runs the tensors. `startEngine(params, io)` is
 * the one way an entry point starts it; `initEngine` is the same with explicit options (tests,
 * benches).
 *
 * `auto` tries, in order, `native` (libtorch through this project's addon, ../native), `tensorflow` (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node,
 * when the user installed one), `webgpu` (Dawn for Node, when a GPU adapter exists), `wasm`
 * (with this project's training kernels) and `cpu`, and reports why each engine before the chosen
 * one was not used. Naming an engine starts only that one and fails with its reason.
 */
import { tf } from '../tf.ts';
import { ConfigError, MlcPipeError } from '../../errors.ts';
import { CONSOLE_PREFIX } from '../../entry-io.ts';
import { didYouMean } from '../../suggest.ts';
import { startTensorflow } from './backends/tensorflow.ts';
import { startWebgpu, stopWebgpu } from './backends/webgpu.ts';
import { startWasm } from './backends/wasm.ts';
import { setNativePrecision, startNative } from './backends/native.ts';
import { EngineUnavailable } from './backends/unavailable.ts';
import { ENGINE_NAMES, PRECISION_NAMES, type EngineName, type EngineParams, type PrecisionName } from '../options.ts';
import { refusedChoice, resolvePrecision, type PrecisionChoice, type ResolvedPrecision } from '../precision.ts';
import { resolveThreads } from './threads.ts';

export interface EngineOptions {
  /** Which engine to use. Defaults to `auto`. */
  engine?: EngineName;
  /** Intra-op threads: native uses them (defaults to MLC_PIPE_THREADS, else every core); wasm cannot in Node (backends/wasm.ts). */
  threads?: number;
  /**
   * Compute precision (../precision.ts): `bf16` runs convs and matmuls in bfloat16 on native and is
   * refused (ConfigError) on the other engines; `auto` picks bf16 where the CPU has bf16 units.
   * Defaults to fp32 (the stages' `precision` param defaults to auto).
   */
  precision?: PrecisionName;
  /** Where to report the choice and why the others were not used. Defaults to no logging. */
  log?: (message: string) => void;
}

export interface EngineInfo {
  /** The tfjs backend name now active (`tensorflow`, `webgpu`, `wasm` or `cpu`). */
  backend: string;
  /** One line per engine tried and not used, e.g. `tensorflow: @tensorflow/tfjs-node is not installed`. */
  reasons: string[];
  /** Details of the chosen engine (package, adapter, SIMD/threads, custom kernels). */
  notes: string[];
  /** The precision that runs (`auto` resolved) and why, e.g. `auto: CPU has amx_bf16`. */
  precision: ResolvedPrecision;
  precisionReason: string;
}

/** How to get the native engine on Debian/Ubuntu. */
export const NATIVE_FIX = 'apt-get install libtorch-dev && npm run build:native';

/**
 * What the slower engines cost: the quickstart's train stage took 139 s on wasm and 38.5 s on
 * native on the same 2-core machine and data (issue #21), about 3.6×.
 */
const FALLBACK_SLOWDOWN = 'about 3-4x slower';

/** `native, 2 threads`: the engine and its intra-op threads, as the console's task line shows it. */
function engineLabel(name: string, notes: string[]): string {
  const threads = name === 'cpu' ? 1 : Number(/threads=(\d+)/.exec(notes.join(' '))?.[1]);
  return Number.isInteger(threads) && threads > 0 ? `${name}, ${threads} thread${threads === 1 ? '' : 's'}` : name;
}

/** The one console line when `auto` passed over native. */
function nativeSkipped(reason: string, used: string): string {
  return `engine auto: native (libtorch) is not available (${reason}), so this runs on ${used}, ${FALLBACK_SLOWDOWN} for training; fix: ${NATIVE_FIX}`;
}

const AUTO_ORDER = ['native', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
type ConcreteEngine = (typeof AUTO_ORDER)[number];

async function start(name: ConcreteEngine, options: EngineOptions, auto: boolean): Promise<string[]> {
  switch (name) {
    case 'native':
      return startNative(options.threads);
    case 'tensorflow':
      return [`package: ${await startTensorflow()}`];
    case 'webgpu':
      return [`adapter: ${await startWebgpu({ allowFallback: !auto, requireVulkan: auto })}`];
    case 'wasm':
      return startWasm(options.threads ?? 1);
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new EngineUnavailable('the cpu backend failed to initialise');
      await tf.ready();
      return [];
  }
}

/**
 * Resolves the precision for the engine that started and sets the native engine's compute type
 * (also back to fp32, for a process that starts engines more than once). An explicit bf16 on an
 * engine without mixed precision is refused before any compute (ConfigError, exit 2).
 */
function applyPrecision(name: ConcreteEngine, notes: string[], requested: PrecisionName): PrecisionChoice {
  const device = /device=(\S+)/.exec(notes.join(' '))?.[1];
  const choice = resolvePrecision(requested, {
    engine: name,
    native: name === 'native',
    ...(device ? { device } : {}),
  });
  if (refusedChoice(choice)) {
    throw new ConfigError(
      `precision bf16: engine ${name} has no mixed precision (bf16 runs on the native engine only)`,
      {
        hint: `use precision: fp32 or auto with engine ${name}, or engine: native (${NATIVE_FIX})`,
      },
    );
  }
  if (name === 'native') setNativePrecision(choice.precision);
  return choice;
}

/** The precision asked for, checked against the names (ConfigError with the valid ones). */
function checkedPrecision(options: EngineOptions): PrecisionName {
  const precision = options.precision ?? 'fp32';
  if (!(PRECISION_NAMES as readonly string[]).includes(precision)) {
    throw new ConfigError(`unknown precision "${String(precision)}"; valid: ${PRECISION_NAMES.join(', ')}`, {
      hint:
        didYouMean(String(precision), PRECISION_NAMES) ??
        'set precision: auto to pick bf16 where the CPU has bf16 units',
    });
  }
  return precision;
}

/**
 * Starts an engine and makes it tfjs' active backend. Safe to call again (e.g. to switch engines).
 * Throws ConfigError for an unknown name and MlcPipeError when no requested engine can start.
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const want = options.engine ?? 'auto';
  if (!(ENGINE_NAMES as readonly string[]).includes(want)) {
    throw new ConfigError(`unknown engine "${String(want)}"; valid: ${ENGINE_NAMES.join(', ')}`, {
      hint: didYouMean(String(want), ENGINE_NAMES) ?? 'set engine: auto to pick the fastest available',
    });
  }
  const precision = checkedPrecision(options);
  const auto = want === 'auto';
  const order: readonly ConcreteEngine[] = auto ? AUTO_ORDER : [want as ConcreteEngine];
  const reasons: string[] = [];
  for (const name of order) {
    let notes: string[];
    try {
      notes = await start(name, options, auto);
    } catch (err) {
      const message = err instanceof EngineUnavailable ? err.message : `failed: ${(err as Error).message}`;
      reasons.push(`${name}: ${message}`);
      continue;
    }
    // Outside the try: a refused precision is the caller's error, not this engine failing to start.
    const choice = applyPrecision(name, notes, precision);
    options.log?.(
      `${CONSOLE_PREFIX.engine}${engineLabel(name, notes)}${choice.precision === 'fp32' ? '' : `, ${choice.precision}`}`,
    );
    options.log?.(`engine: ${name}${notes.length ? ` (${notes.join('; ')})` : ''}`);
    options.log?.(`precision: ${choice.precision} (${choice.reason})`);
    for (const reason of reasons) options.log?.(`  not ${reason}`);
    const skipped = reasons.find((r) => r.startsWith('native: '));
    if (skipped) options.log?.(`${CONSOLE_PREFIX.warning}${nativeSkipped(skipped.slice('native: '.length), name)}`);
    return { backend: tf.getBackend(), reasons, notes, precision: choice.precision, precisionReason: choice.reason };
  }
  if (auto)
    throw new MlcPipeError(`engine ${want}: no engine could start (${reasons.join('; ')})`, {
      hint: 'reinstall @tensorflow/tfjs-backend-wasm',
    });
  // The engine asked for by name cannot run here: refused before any compute (ConfigError, exit 2).
  throw new ConfigError(`engine ${want}: no engine could start (${reasons.join('; ')})`, {
    hint:
      want === 'native'
        ? `${NATIVE_FIX}, or use engine: auto to fall back to another engine`
        : 'use engine: auto to fall back to another engine',
  });
}

/** Where an entry point runs: the CPU slots the scheduler granted (a stage's `ctx`) and its log. */
export interface EngineIO {
  readonly cpus?: number;
  log?(message: string): void;
}

/**
 * Starts the engine an entry point's params name, on the threads `resolveThreads` gives (the same
 * function the stage's `resources.cpu` comes from, see `engineCpus`), reporting to `io.log`. Every
 * entry point that runs a model (train, evaluate, prune, convert, predict) starts it this way.
 */
export function startEngine(params: EngineParams, io: EngineIO = {}): Promise<EngineInfo> {
  return initEngine({
    engine: params.engine ?? 'auto',
    precision: params.precision ?? 'auto',
    threads: resolveThreads(params.threads, io.cpus),
    ...(io.log ? { log: (m: string) => io.log!(m) } : {}),
  });
}

/** Releases engine resources that keep Node alive (Dawn's GPU object). Call once at exit. */
export function shutdownEngine(): void {
  stopWebgpu();
}
