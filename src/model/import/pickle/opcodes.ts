/**
 * The opcodes this reader runs, as a table from opcode byte to handler, grouped as CPython's
 * Lib/pickletools.py describes them. STOP is not here: it ends the loop in unpickle.ts. An opcode
 * missing from the table (INST, OBJ, NEWOBJ, EXT*, …) is refused.
 */
import { MARK, type PickleMachine } from './machine.ts';
import { reduce, storageRef } from './torch-globals.ts';

/** Runs one opcode whose byte has been read. */
export type OpcodeHandler = (m: PickleMachine) => void;

/** STOP: the value on top of the stack is the result. */
export const STOP = 0x2e;

/** LONG1's payload: little-endian two's complement, a number when it is a safe integer. */
function long1(b: Buffer): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const framing: Record<number, OpcodeHandler> = {
  0x80: (m) => void m.u8(), // PROTO
  0x95: (m) => void m.bytes(8), // FRAME
  0x28: (m) => m.push(MARK), // MARK
  0x30: (m) => void m.pop(), // POP
  0x31: (m) => void m.popMark(), // POP_MARK
  0x32: (m) => m.push(m.top()), // DUP
};

const scalars: Record<number, OpcodeHandler> = {
  0x4e: (m) => m.push(null), // NONE
  0x88: (m) => m.push(true), // NEWTRUE
  0x89: (m) => m.push(false), // NEWFALSE
  0x4a: (m) => m.push(m.i32()), // BININT
  0x4b: (m) => m.push(m.u8()), // BININT1
  0x4d: (m) => m.push(m.u16()), // BININT2
  0x8a: (m) => m.push(long1(m.bytes(m.u8()))), // LONG1
  0x47: (m) => m.push(m.f64be()), // BINFLOAT
};

const strings: Record<number, OpcodeHandler> = {
  0x58: (m) => m.push(m.bytes(m.u32()).toString('utf8')), // BINUNICODE
  0x8c: (m) => m.push(m.bytes(m.u8()).toString('utf8')), // SHORT_BINUNICODE
  0x8d: (m) => m.push(m.bytes(m.u64()).toString('utf8')), // BINUNICODE8
  0x55: (m) => m.push(m.bytes(m.u8()).toString('latin1')), // SHORT_BINSTRING
  0x54: (m) => m.push(m.bytes(m.u32()).toString('latin1')), // BINSTRING
  0x43: (m) => m.push(Buffer.from(m.bytes(m.u8()))), // SHORT_BINBYTES
  0x42: (m) => m.push(Buffer.from(m.bytes(m.u32()))), // BINBYTES
};

const containers: Record<number, OpcodeHandler> = {
  0x29: (m) => m.push([]), // EMPTY_TUPLE
  0x74: (m) => m.push(m.popMark()), // TUPLE
  0x85: (m) => m.push([m.pop()]), // TUPLE1
  0x86: (m) => {
    // TUPLE2
    const b = m.pop();
    m.push([m.pop(), b]);
  },
  0x87: (m) => {
    // TUPLE3
    const c = m.pop();
    const b = m.pop();
    m.push([m.pop(), b, c]);
  },
  0x5d: (m) => m.push([]), // EMPTY_LIST
  0x6c: (m) => m.push(m.popMark()), // LIST
  0x61: (m) => {
    // APPEND
    const v = m.pop();
    m.appendTo(m.top(), [v]);
  },
  0x65: (m) => {
    // APPENDS
    const items = m.popMark();
    m.appendTo(m.top(), items);
  },
  0x7d: (m) => m.push(new Map()), // EMPTY_DICT
  0x64: (m) => {
    // DICT
    const d = new Map();
    m.setItems(d, m.popMark());
    m.push(d);
  },
  0x73: (m) => {
    // SETITEM
    const v = m.pop();
    const k = m.pop();
    m.setItems(m.top(), [k, v]);
  },
  0x75: (m) => {
    // SETITEMS
    const items = m.popMark();
    m.setItems(m.top(), items);
  },
};

const memo: Record<number, OpcodeHandler> = {
  0x70: (m) => void m.memo.set(Number(m.line()), m.top()), // PUT
  0x71: (m) => void m.memo.set(m.u8(), m.top()), // BINPUT
  0x72: (m) => void m.memo.set(m.u32(), m.top()), // LONG_BINPUT
  0x94: (m) => void m.memo.set(m.memo.size, m.top()), // MEMOIZE
  0x67: (m) => m.push(m.memoGet(Number(m.line()))), // GET
  0x68: (m) => m.push(m.memoGet(m.u8())), // BINGET
  0x6a: (m) => m.push(m.memoGet(m.u32())), // LONG_BINGET
};

const objects: Record<number, OpcodeHandler> = {
  0x63: (m) => {
    // GLOBAL "module\nname\n"
    const module = m.line();
    m.push(m.global(module, m.line()));
  },
  0x93: (m) => {
    // STACK_GLOBAL
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== 'string' || typeof name !== 'string') m.fail('STACK_GLOBAL without two strings');
    m.push(m.global(module as string, name as string));
  },
  0x51: (m) => m.push(storageRef(m.pop(), m.fail)), // BINPERSID
  0x52: (m) => {
    // REDUCE
    const args = m.pop();
    const fn = m.pop();
    m.push(reduce(fn, args, m.fail));
  },
  0x62: (m) => {
    // BUILD: only an OrderedDict's state (a state dict's `_metadata`), which is dropped.
    m.pop();
    if (!(m.top() instanceof Map)) m.fail('BUILD on something that is not an ordered dict');
  },
};

/** Every supported opcode but STOP. */
export const OPCODES: ReadonlyMap<number, OpcodeHandler> = new Map(
  [framing, scalars, strings, containers, memo, objects].flatMap((group) =>
    Object.entries(group).map(([op, run]) => [Number(op), run] as const),
  ),
);
