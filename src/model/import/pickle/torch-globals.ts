/**
 * The only Python globals a state-dict pickle may name, and what this reader does in their place:
 * OrderedDict builds a `Map`, torch's rebuild functions build a `TorchTensorRef`, and a storage type
 * in a BINPERSID id becomes a `TorchStorageRef`. Nothing else is callable.
 */

/** A storage a tensor views: the zip entry `data/<key>` of `dtype` elements. */
export interface TorchStorageRef {
  readonly kind: 'storage';
  readonly dtype: TorchDtype;
  readonly key: string;
  readonly numel: number;
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export interface TorchTensorRef {
  readonly kind: 'tensor';
  readonly storage: TorchStorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

/** Element types of the storages a state dict holds. */
export const TORCH_STORAGE_DTYPES = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
} as const;
export type TorchDtype = (typeof TORCH_STORAGE_DTYPES)[keyof typeof TORCH_STORAGE_DTYPES];

/** The only globals a state-dict pickle may name. */
export const ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(TORCH_STORAGE_DTYPES).map((s) => `torch.${s}`),
];

/** A resolved GLOBAL / STACK_GLOBAL: one of ALLOWED_GLOBALS, by name. */
export interface Global {
  readonly kind: 'global';
  readonly name: string;
}

/** Throws a DataError about the pickle (see PickleMachine.fail). */
export type Fail = (what: string, hint?: string) => never;

export const isGlobal = (v: unknown, name?: string): v is Global =>
  typeof v === 'object' &&
  v !== null &&
  (v as Global).kind === 'global' &&
  (name === undefined || (v as Global).name === name);

/** The global `module.name`, refused unless it is in ALLOWED_GLOBALS. */
export function resolveGlobal(module: string, name: string, fail: Fail): Global {
  const full = `${module}.${name}`;
  if (!ALLOWED_GLOBALS.includes(full))
    fail(
      `it names the global ${full}, which a state dict never holds (allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage); nothing was executed`,
    );
  return { kind: 'global', name: full };
}

/** BINPERSID's persistent id `('storage', torch.<Type>Storage, key, location, numel)` as a storage. */
export function storageRef(pid: unknown, fail: Fail): TorchStorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5 || !isGlobal(pid[1]))
    return fail('a persistent id that is not a torch storage');
  const type = (pid[1] as Global).name.slice('torch.'.length) as keyof typeof TORCH_STORAGE_DTYPES;
  const dtype = TORCH_STORAGE_DTYPES[type];
  if (!dtype) return fail(`persistent id names ${(pid[1] as Global).name}, not a storage type`);
  return { kind: 'storage', dtype, key: String(pid[2]), numel: Number(pid[4]) };
}

/** REDUCE: applies the allowed global `fn` to `args`, by this reader's own implementation of it. */
export function reduce(fn: unknown, args: unknown, fail: Fail): unknown {
  if (!isGlobal(fn) || !Array.isArray(args)) return fail('REDUCE of something other than an allowed global');
  switch (fn.name) {
    case 'collections.OrderedDict': {
      const m = new Map<unknown, unknown>();
      for (const kv of (args[0] as unknown[] | undefined) ?? []) if (Array.isArray(kv)) m.set(kv[0], kv[1]);
      return m;
    }
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, shape, stride] = args as [TorchStorageRef, number, number[], number[]];
      if (
        (storage as TorchStorageRef | undefined)?.kind !== 'storage' ||
        typeof offset !== 'number' ||
        !Array.isArray(shape) ||
        !Array.isArray(stride)
      )
        return fail('_rebuild_tensor_v2 with arguments that are not (storage, offset, size, stride, …)');
      return {
        kind: 'tensor',
        storage,
        offset,
        shape: shape.map(Number),
        stride: stride.map(Number),
      } satisfies TorchTensorRef;
    }
    case 'torch._utils._rebuild_parameter': {
      const t = args[0] as TorchTensorRef | undefined;
      if (t?.kind !== 'tensor') return fail('_rebuild_parameter of something that is not a tensor');
      return t;
    }
    default:
      return fail(`REDUCE of ${fn.name}, which is not callable here`);
  }
}
