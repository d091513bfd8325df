/**
 * `native`: a TensorFlow.js backend whose tensors live in libtorch. Each dataId owns an
 * at::Tensor handle with the tfjs shape (NHWC for images), stored in whatever dense memory order
 * ATen works fastest in (NCHW activations, OIHW filters: native/src/registry.h); data crosses into
 * JS only on `readSync`/`read`, in row-major order. Kernels (./kernels/) call ATen through the addon; every other kernel
 * runs the cpu backend's implementation on copies (./kernels/fallback.ts), listed by
 * {@link fallbackCounts}. Strings (and complex numbers) stay JS values: only fallback kernels
 * see them.
 *
 * Prior art: tfjs-node's NodeJSKernelBackend keeps TF_Tensor handles the same way.
 */
import { tf } from '../tf.ts';
import type { BackendValues, DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { Addon, Handle } from './addon.ts';

export const NATIVE = 'native';

interface NativeData {
  handle: Handle | null;
  /** JS-side values of string/complex64 tensors. */
  values: BackendValues | null;
  dtype: DataType;
  refCount: number;
}

const DTYPE_CODES: Partial<Record<DataType, number>> = { float32: 0, int32: 1, bool: 2 };
const CODE_DTYPES: DataType[] = ['float32', 'int32', 'bool'];

/** Ops known to the addon, by name → index (native/src/registry.h). */
type OpIndex = Map<string, number>;

export class NativeBackend extends tf.KernelBackend {
  readonly data: tf.DataStorage<NativeData>;
  readonly ops: OpIndex;
  /** Scratch the addon writes output dtypes and shapes into: [dtype, rank, dims…] per output. */
  private readonly shapes = new Int32Array(1024);
  /** When set, wall time and calls of each addon op are added up here ({@link profileNative}). */
  profile: Map<string, { ms: number; calls: number }> | null = null;

  constructor(
    readonly addon: Addon,
    readonly device: string,
  ) {
    super();
    this.data = new tf.DataStorage(this, tf.engine());
    this.ops = new Map(addon.ops().map((name, i) => [name, i]));
  }

  private store(values: BackendValues, shape: number[], dtype: DataType, refCount: number): NativeData {
    const code = DTYPE_CODES[dtype];
    if (code === undefined) return { handle: null, values, dtype, refCount };
    let typed = values as Float32Array | Int32Array | Uint8Array;
    const want = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
    if (!(typed instanceof want)) typed = want.from(values as ArrayLike<number>);
    return { handle: this.addon.fromArray(typed, shape, code), values: null, dtype, refCount };
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const dataId = {};
    this.data.set(dataId, this.store(values, shape, dtype, 1));
    return dataId;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.data.set(dataId, this.store(values, shape, dtype, refCount));
  }

  /** A TensorInfo for a handle the addon returned (it takes ownership). */
  makeOutput(handle: Handle, shape: number[], dtype: DataType): TensorInfo {
    const dataId = {};
    this.data.set(dataId, { handle, values: null, dtype, refCount: 1 });
    return { dataId, shape, dtype };
  }

  /** A TensorInfo holding a copy of `values` (fallback kernels' outputs). */
  makeTensorInfo(shape: number[], dtype: DataType, values: BackendValues): TensorInfo {
    return { dataId: this.write(values, shape, dtype), shape, dtype };
  }

  handle(t: TensorInfo): Handle {
    const d = this.data.get(t.dataId);
    if (d?.handle == null) throw new Error(`native: a ${t.dtype} tensor has no native handle`);
    return d.handle;
  }

  /**
   * Runs addon op `name` on `inputs` with numeric `attrs`; returns its outputs as TensorInfos
   * (none for in-place ops). Throws when the addon lacks the op.
   */
  run(name: string, inputs: TensorInfo[], attrs: number[] = []): TensorInfo[] {
    const index = this.ops.get(name);
    if (index === undefined)
      throw new Error(`native: the addon has no op ${name} (rebuild it with \`npm run build:native\`)`);
    let result: ReturnType<Addon['run']>;
    const t0 = this.profile ? performance.now() : 0;
    try {
      result = this.addon.run(
        index,
        inputs.map((t) => this.handle(t)),
        attrs,
        this.shapes,
      );
      if (this.profile) {
        const p = this.profile.get(name) ?? { ms: 0, calls: 0 };
        p.ms += performance.now() - t0;
        p.calls++;
        this.profile.set(name, p);
      }
    } catch (err) {
      const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(', ');
      throw new Error(`native ${name}(${shapes}) [${attrs.join(',')}]: ${(err as Error).message.split('\n')[0]}`, {
        cause: err,
      });
    }
    if (result === undefined) return [];
    const handles = Array.isArray(result) ? result : [result];
    const s = this.shapes;
    let k = 0;
    return handles.map((h) => {
      const dtype = CODE_DTYPES[s[k++]!]!;
      const rank = s[k++]!;
      const shape = Array.from(s.subarray(k, k + rank));
      k += rank;
      return this.makeOutput(h, shape, dtype);
    });
  }

  /** {@link run} for a one-output op. */
  run1(name: string, inputs: TensorInfo[], attrs: number[] = []): TensorInfo {
    return this.run(name, inputs, attrs)[0]!;
  }

  /** A TensorInfo sharing `t`'s data (same shape: native ops read shapes from the handles). */
  share(t: TensorInfo): TensorInfo {
    this.incRef(t.dataId);
    return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId)!.refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId)!.refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override readSync(dataId: DataId): BackendValues {
    const d = this.data.get(dataId)!;
    return d.handle ? this.addon.toArray(d.handle) : d.values!;
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const d = this.data.get(dataId);
    if (!d) return true;
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.handle) this.addon.free(d.handle);
    this.data.delete(dataId);
    return true;
  }

  /** Disposes an intermediate result of a kernel (tfjs' name for it). */
  disposeIntermediateTensorInfo(t: TensorInfo): void {
    this.disposeData(t.dataId);
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = tf.util.now();
    f();
    return { kernelMs: tf.util.now() - start };
  }

  override memory(): { unreliable: boolean; nativeTensors: number; nativeBytes: number } {
    const info = this.addon.info();
    return { unreliable: false, nativeTensors: info.liveHandles, nativeBytes: info.liveBytes };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    // Tensors are freed with their dataIds; the addon lives as long as the process.
  }
}

/** Live native tensors and their bytes (for the memory checks of tests and --profile). */
export function nativeMemory(): { tensors: number; bytes: number } {
  const be = tf.findBackend(NATIVE) as NativeBackend | null;
  if (!be) return { tensors: 0, bytes: 0 };
  const m = be.memory();
  return { tensors: m.nativeTensors, bytes: m.nativeBytes };
}
