/**
 * Kernels the addon does not implement run the cpu backend's implementation on copies: inputs are
 * read out of libtorch, the cpu kernel runs, its outputs are written back. Correct for every
 * kernel tfjs has, and slow; each use is counted so that `--profile` and the engine benchmark can
 * list what still leaves native code.
 */
import { tf } from '../../tf.ts';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE, type NativeBackend } from '../backend.ts';

const counts = new Map<string, number>();

/** How often each kernel ran on the cpu fallback since the last {@link resetFallbackCounts}. */
export function fallbackCounts(): ReadonlyMap<string, number> {
  return counts;
}

export function resetFallbackCounts(): void {
  counts.clear();
}

type CpuBackend = tf.KernelBackend & { write(values: unknown, shape: number[], dtype: string): object };

function cpuBackend(): CpuBackend {
  const cpu = tf.findBackend('cpu') as CpuBackend | null;
  if (!cpu) throw new Error('native: the cpu backend (needed for fallback kernels) is not registered');
  return cpu;
}

/** Runs the cpu implementation of kernel `name` for the native backend. */
export function runOnCpu(
  name: string,
  inputs: NamedTensorInfoMap,
  be: NativeBackend,
  attrs: NamedAttrMap,
): TensorInfo | TensorInfo[] {
  const config = tf.getKernel(name, 'cpu');
  if (!config) throw new Error(`native: kernel ${name} is implemented neither natively nor on the cpu backend`);
  counts.set(name, (counts.get(name) ?? 0) + 1);
  const cpu = cpuBackend();
  const moved: TensorInfo[] = [];
  const toCpu = (t: TensorInfo | null | undefined): TensorInfo | null | undefined => {
    if (t == null) return t;
    const info = { dataId: cpu.write(be.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    moved.push(info);
    return info;
  };
  const cpuInputs = (
    Array.isArray(inputs)
      ? (inputs as TensorInfo[]).map(toCpu)
      : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, toCpu(t)]))
  ) as NamedTensorInfoMap;
  try {
    const out = config.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    const outs = Array.isArray(out) ? out : [out];
    const back = outs.map((o) => {
      const info = be.makeTensorInfo(o.shape, o.dtype, cpu.readSync(o.dataId));
      cpu.disposeData(o.dataId);
      return info;
    });
    return Array.isArray(out) ? back : back[0]!;
  } finally {
    for (const t of moved) cpu.disposeData(t.dataId);
  }
}

/** Fallback configs for every cpu kernel that has no native one yet. */
export function fallbackConfigs(): KernelConfig[] {
  return tf
    .getKernelsForBackend('cpu')
    .filter((k) => tf.getKernel(k.kernelName, NATIVE) == null)
    .map((k) => ({
      kernelName: k.kernelName,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend, attrs }) =>
        runOnCpu(k.kernelName, inputs, backend as unknown as NativeBackend, attrs ?? {}),
    }));
}
