/**
 * One c10d process group per rank process, through the libtorch addon (native/src/dist.cc): a
 * TCPStore rendezvous, Gloo collectives on the native engine's tensors. Everything blocks the
 * calling thread (a rank process has nothing else to do meanwhile); c10d's timeout bounds each call.
 */
import { tf } from '../tf.ts';
import { NATIVE, type NativeBackend } from '../native/backend.ts';
import { loadAddon } from '../native/addon.ts';

/** The addon's c10d functions (native/src/dist.cc). */
interface DistAddon {
  distAvailable(): string;
  distStore(host: string, port: number, isServer: boolean, timeoutMs: number): number;
  distGroup(rank: number, size: number, deviceHost: string, timeoutMs: number): string;
  distSet(key: string, value: string): void;
  distGet(key: string): string;
  distBarrier(): void;
  distShutdown(): void;
}

/** PyTorch DDP's default bucket size (bucket_cap_mb = 25). */
export const BUCKET_BYTES = 25 * 1024 * 1024;

/** Why c10d cannot run in this process, or undefined when it can. */
export function distUnavailable(): string | undefined {
  const { addon, reason } = loadAddon();
  if (!addon) return `the native engine is unavailable: ${reason}`;
  const d = addon as unknown as Partial<DistAddon>;
  if (typeof d.distAvailable !== 'function')
    return 'the addon predates c10d support (rebuild it: npm run build:native)';
  return d.distAvailable() || undefined;
}

function distAddon(): DistAddon {
  const why = distUnavailable();
  if (why) throw new Error(`c10d: ${why}`);
  return loadAddon().addon as unknown as DistAddon;
}

export interface GroupOptions {
  rank: number;
  size: number;
  /** c10d timeout in milliseconds (store, rendezvous, every collective). */
  timeoutMs: number;
}

export class ProcessGroup {
  private readonly addon = distAddon();
  /** 'gloo', or 'gloo+nccl' (a CUDA build on a machine with a GPU: NCCL reduces CUDA tensors), once joined. */
  backendName = '';

  constructor(readonly options: GroupOptions) {}

  get rank(): number {
    return this.options.rank;
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * Opens the TCPStore: rank 0 serves it on `host:port` (port 0 = a free port, returned), the
   * others connect to it.
   */
  openStore(host: string, port: number): number {
    return this.addon.distStore(host, port, this.rank === 0, this.options.timeoutMs);
  }

  /** Rendezvous of all ranks through the store; Gloo binds `deviceHost` (this machine's address). */
  join(deviceHost: string): void {
    this.backendName = this.addon.distGroup(this.rank, this.size, deviceHost, this.options.timeoutMs);
  }

  private backend(): NativeBackend {
    if (tf.getBackend() !== NATIVE)
      throw new Error(`c10d collectives run on the native engine (active: ${tf.getBackend()})`);
    return tf.backend() as NativeBackend;
  }

  private collective(op: string, tensors: tf.Tensor[], attrs: number[]): tf.Tensor[] {
    if (!tensors.length) return [];
    const be = this.backend();
    return be.run(op, tensors, attrs).map((info) => tf.engine().makeTensorFromTensorInfo(info, be));
  }

  /**
   * Σ over ranks of `scale` × each tensor (in buckets of `bucketBytes`), as new tensors; with
   * scale = this rank's share of the global batch, the gradients of per-rank mean losses become the
   * gradient of the global batch's mean loss.
   */
  allreduceScaled(tensors: tf.Tensor[], scale: number, bucketBytes = BUCKET_BYTES): tf.Tensor[] {
    return this.collective('MlcPipeDistAllreduce', tensors, [scale, bucketBytes]);
  }

  /**
   * Whether this addon has the overlapped gradient buckets (native/src/dist_buckets.cc): an
   * {@link allreduceScaled} whose buckets start while the backward pass still runs.
   */
  get overlapAvailable(): boolean {
    return tf.getBackend() === NATIVE && (tf.backend() as NativeBackend).ops.has('MlcPipeDistBucketsBegin');
  }

  /**
   * Plans {@link allreduceScaled} of tensors of `numels` elements (same buckets, same result), whose
   * inputs then come one by one ({@link bucketAdd}) and the rest at {@link bucketsFinish}.
   */
  bucketsBegin(numels: number[], scale: number, bucketBytes = BUCKET_BYTES): void {
    this.backend().run('MlcPipeDistBucketsBegin', [], [scale, bucketBytes, numels.length, ...numels]);
  }

  /** Input `k` of the planned reduction; starts the all-reduce of each bucket now due. */
  bucketAdd(k: number, t: tf.Tensor): void {
    this.backend().run('MlcPipeDistBucketsAdd', [t], [k]);
  }

  /** All inputs (those not added yet are taken from here) -> the reduced tensors, as new tensors. */
  bucketsFinish(tensors: tf.Tensor[]): tf.Tensor[] {
    return this.collective('MlcPipeDistBucketsFinish', tensors, []);
  }

  /** Waits for the buckets already started and drops the planned reduction (unwinding an error). */
  bucketsAbort(): void {
    this.backend().run('MlcPipeDistBucketsAbort', [], []);
  }

  /** Rank `root`'s values of `tensors`, as new tensors. */
  broadcast(tensors: tf.Tensor[], root = 0): tf.Tensor[] {
    return this.collective('MlcPipeDistBroadcast', tensors, [root]);
  }

  /** Rank 0's side of a value every rank must agree on: sets `key` in the store. */
  publish(key: string, value: string): void {
    this.addon.distSet(key, value);
  }

  /** The other ranks' side: waits for rank 0's `key` (up to the timeout). */
  receive(key: string): string {
    return this.addon.distGet(key);
  }

  barrier(): void {
    this.addon.distBarrier();
  }

  shutdown(): void {
    this.addon.distShutdown();
  }
}
