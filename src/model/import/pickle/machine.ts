/**
 * The pickle virtual machine's state (the input and its read position, the stack, the memo) and the
 * primitives the opcode handlers share: bounded reads, stack pops, MARK handling and container
 * updates. Every malformed input ends in `fail`, a DataError naming the file.
 */
import { DataError } from '../../../errors.ts';
import { resolveGlobal, type Global } from './torch-globals.ts';

/** The MARK opcode's stack entry. */
export const MARK = Symbol('mark');

const CORRUPT = 'copy the file again';
const NOT_A_STATE_DICT =
  'a torch.save(model.state_dict()) file holds only tensors in ordered dicts; re-save the state dict, not the whole model or other objects';

export class PickleMachine {
  /** The position of the next byte to read. */
  p = 0;
  readonly stack: unknown[] = [];
  readonly memo = new Map<number, unknown>();

  constructor(
    readonly buf: Buffer,
    readonly file: string,
  ) {}

  /** Throws the DataError for this file; `hint` defaults to "re-save the state dict". */
  readonly fail = (what: string, hint?: string): never => {
    throw new DataError(
      `refused to read the state dict's pickle: ${what}`,
      { file: this.file },
      { hint: hint ?? NOT_A_STATE_DICT },
    );
  };

  /** Fails unless `n` more bytes are there. */
  need(n: number): void {
    if (this.p + n > this.buf.length) this.fail('the pickle ends early (truncated file)', CORRUPT);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.p++]!;
  }

  u16(): number {
    this.need(2);
    this.p += 2;
    return this.buf.readUInt16LE(this.p - 2);
  }

  u32(): number {
    this.need(4);
    this.p += 4;
    return this.buf.readUInt32LE(this.p - 4);
  }

  i32(): number {
    this.need(4);
    this.p += 4;
    return this.buf.readInt32LE(this.p - 4);
  }

  u64(): number {
    this.need(8);
    this.p += 8;
    return Number(this.buf.readBigUInt64LE(this.p - 8));
  }

  /** A big-endian double (BINFLOAT). */
  f64be(): number {
    this.need(8);
    this.p += 8;
    return this.buf.readDoubleBE(this.p - 8);
  }

  bytes(n: number): Buffer {
    this.need(n);
    this.p += n;
    return this.buf.subarray(this.p - n, this.p);
  }

  /** The text up to the next newline, which is consumed. */
  line(): string {
    const end = this.buf.indexOf(0x0a, this.p);
    if (end < 0) this.fail('the pickle ends early (truncated file)', CORRUPT);
    const s = this.buf.toString('utf8', this.p, end);
    this.p = end + 1;
    return s;
  }

  push(v: unknown): void {
    this.stack.push(v);
  }

  pop(): unknown {
    if (this.stack.length === 0) this.fail('stack underflow (corrupted pickle)', CORRUPT);
    return this.stack.pop();
  }

  top(): unknown {
    return this.stack[this.stack.length - 1];
  }

  /** The items above the topmost MARK, removed from the stack with it. */
  popMark(): unknown[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) this.fail('MARK missing (corrupted pickle)', CORRUPT);
    const items = this.stack.splice(at);
    items.shift();
    return items;
  }

  /** Sets key/value pairs `items` (k0, v0, k1, v1, …) on the dict `target`. */
  setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map)) this.fail('SETITEMS on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  }

  /** Appends `items` to the list `target`. */
  appendTo(target: unknown, items: unknown[]): void {
    if (!Array.isArray(target)) this.fail('APPEND on something that is not a list');
    (target as unknown[]).push(...items);
  }

  /** The memo entry `k`, failing when it was never PUT. */
  memoGet(k: number): unknown {
    if (!this.memo.has(k)) this.fail(`memo key ${k} missing (corrupted pickle)`, CORRUPT);
    return this.memo.get(k);
  }

  global(module: string, name: string): Global {
    return resolveGlobal(module, name, this.fail);
  }
}
