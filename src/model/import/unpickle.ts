/**
 * A pickle reader that executes nothing: it reads the opcodes `torch.save` writes for a state dict
 * (protocol 2, plus the protocol 3/4 forms of the same values) and builds plain values. A GLOBAL
 * resolves only against ALLOWED_GLOBALS (ordered dicts, torch's tensor/parameter rebuild
 * functions and storage types), and REDUCE/BUILD only ever apply those, implemented here. Any
 * other global (`os.system`, `builtins.eval`, a user class, …) is refused at the opcode that names
 * it, before anything after it is read; opcodes that construct arbitrary objects (INST, OBJ,
 * NEWOBJ, EXT*) are refused too.
 *
 * Opcodes: CPython's Lib/pickletools.py (the format's reference). Values: str, number, bigint
 * (LONG1 past 2^53), boolean, null, arrays (tuples and lists), `Map` (dicts and OrderedDicts),
 * `TorchStorageRef` (a BINPERSID storage) and `TorchTensorRef` (a rebuilt tensor or parameter).
 */
import { DataError } from '../../errors.ts';

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

interface Global {
  readonly kind: 'global';
  readonly name: string;
}
const MARK = Symbol('mark');
type Value = unknown;

const isGlobal = (v: Value, name?: string): v is Global => typeof v === 'object' && v !== null && (v as Global).kind === 'global' && (name === undefined || (v as Global).name === name);

/**
 * Reads the pickle in `buf` (a torch.save zip's data.pkl) into plain values; `file` names the
 * archive in errors. Throws a DataError naming any global outside ALLOWED_GLOBALS or any opcode
 * this reader does not support.
 */
export function unpickle(buf: Buffer, file: string): Value {
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  const fail = (what: string, hint?: string): never => {
    throw new DataError(`refused to read the state dict's pickle: ${what}`, { file }, { hint: hint ?? 'a torch.save(model.state_dict()) file holds only tensors in ordered dicts; re-save the state dict, not the whole model or other objects' });
  };
  const need = (n: number) => {
    if (p + n > buf.length) fail('the pickle ends early (truncated file)', 'copy the file again');
  };
  const u8 = () => (need(1), buf[p++]!);
  const u16 = () => (need(2), (p += 2), buf.readUInt16LE(p - 2));
  const u32 = () => (need(4), (p += 4), buf.readUInt32LE(p - 4));
  const i32 = () => (need(4), (p += 4), buf.readInt32LE(p - 4));
  const bytes = (n: number) => (need(n), (p += n), buf.subarray(p - n, p));
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) fail('the pickle ends early (truncated file)', 'copy the file again');
    const s = buf.toString('utf8', p, end);
    p = end + 1;
    return s;
  };
  const pop = (): Value => {
    if (stack.length === 0) fail('stack underflow (corrupted pickle)', 'copy the file again');
    return stack.pop();
  };
  const popMark = (): Value[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('MARK missing (corrupted pickle)', 'copy the file again');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.includes(full)) fail(`it names the global ${full}, which a state dict never holds (allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage); nothing was executed`);
    return { kind: 'global', name: full };
  };
  const top = (): Value => stack[stack.length - 1];
  const setItems = (target: Value, items: Value[]) => {
    if (!(target instanceof Map)) fail('SETITEMS on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<Value, Value>).set(items[i], items[i + 1]);
  };
  const appendTo = (target: Value, items: Value[]) => {
    if (!Array.isArray(target)) fail('APPEND on something that is not a list');
    (target as Value[]).push(...items);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        bytes(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        need(8);
        p += 8;
        stack.push(bytes(Number(buf.readBigUInt64LE(p - 8))).toString('utf8'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case 0x54: // BINSTRING
        stack.push(bytes(u32()).toString('latin1'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Buffer.from(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(Buffer.from(bytes(u32())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendTo(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing (corrupted pickle)`, 'copy the file again');
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(storageRef(pop(), fail));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's state (a state dict's `_metadata`), which is dropped.
        pop();
        if (!(top() instanceof Map)) fail('BUILD on something that is not an ordered dict');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

function storageRef(pid: Value, fail: (what: string) => never): TorchStorageRef {
  // ('storage', torch.<Type>Storage, key, location, numel)
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5 || !isGlobal(pid[1])) return fail('a persistent id that is not a torch storage');
  const type = (pid[1] as Global).name.slice('torch.'.length) as keyof typeof TORCH_STORAGE_DTYPES;
  const dtype = TORCH_STORAGE_DTYPES[type];
  if (!dtype) return fail(`persistent id names ${(pid[1] as Global).name}, not a storage type`);
  return { kind: 'storage', dtype, key: String(pid[2]), numel: Number(pid[4]) };
}

function reduce(fn: Value, args: Value, fail: (what: string) => never): Value {
  if (!isGlobal(fn) || !Array.isArray(args)) return fail('REDUCE of something other than an allowed global');
  switch (fn.name) {
    case 'collections.OrderedDict': {
      const m = new Map<Value, Value>();
      for (const kv of (args[0] as Value[] | undefined) ?? []) if (Array.isArray(kv)) m.set(kv[0], kv[1]);
      return m;
    }
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, shape, stride] = args as [TorchStorageRef, number, number[], number[]];
      if ((storage as TorchStorageRef | undefined)?.kind !== 'storage' || typeof offset !== 'number' || !Array.isArray(shape) || !Array.isArray(stride)) return fail('_rebuild_tensor_v2 with arguments that are not (storage, offset, size, stride, …)');
      return { kind: 'tensor', storage, offset, shape: shape.map(Number), stride: stride.map(Number) } satisfies TorchTensorRef;
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
