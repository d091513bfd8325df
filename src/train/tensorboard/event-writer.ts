/**
 * TensorBoard event files: TFRecord-framed `tensorflow.Event` protos (framing from
 * src/data/tfrecord/framing.ts: u64 length, masked crc32c of the length, data, masked crc32c of
 * the data). Only the fields scalars need, with their numbers from tensorflow/core/util/event.proto
 * and summary.proto: Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5},
 * Summary{value=1 repeated Value}, Value{tag=1 string, simple_value=2 float}. The first record
 * carries file_version "brain.Event:2". File name: `events.out.tfevents.<secs>.<host>`.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { frameRecord } from '../../data/tfrecord/framing.ts';

export const eventProtos = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: { Value: { fields: { tag: { type: 'string', id: 1 }, simple_value: { type: 'float', id: 2 } } } },
        },
      },
    },
  },
});
const Event = eventProtos.lookupType('tensorflow.Event');

export function encodeEvent(event: { wall_time: number; step?: number; file_version?: string; summary?: { value: Array<{ tag: string; simple_value: number }> } }): Uint8Array {
  return Event.encode(Event.fromObject(event)).finish();
}

export class EventWriter {
  readonly file: string;
  private ready: Promise<void>;
  private chain: Promise<void> = Promise.resolve();

  constructor(dir: string, options: { now?: () => number } = {}) {
    const now = options.now ?? Date.now;
    const secs = Math.floor(now() / 1000);
    this.file = join(dir, `events.out.tfevents.${secs}.${hostname()}`);
    this.ready = mkdir(dir, { recursive: true }).then(() => writeFile(this.file, frameRecord(encodeEvent({ wall_time: now() / 1000, file_version: 'brain.Event:2' }))));
  }

  /** Appends one Event with a scalar per entry of `scalars` (non-finite values are skipped). */
  scalars(step: number, scalars: Record<string, number>, wallTime = Date.now() / 1000): Promise<void> {
    const value = Object.entries(scalars)
      .filter(([, v]) => Number.isFinite(v))
      .map(([tag, v]) => ({ tag, simple_value: v }));
    const bytes = frameRecord(encodeEvent({ wall_time: wallTime, step, summary: { value } }));
    this.chain = this.chain.then(() => this.ready).then(() => appendFile(this.file, bytes));
    return this.chain;
  }

  flush(): Promise<void> {
    return this.chain.then(() => this.ready);
  }
}
