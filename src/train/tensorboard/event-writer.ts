/**
 * TensorBoard event files: TFRecord-framed `tensorflow.Event` protos (framing from
 * src/data/tfrecord/framing.ts: u64 length, masked crc32c of the length, data, masked crc32c of
 * the data). Only the fields scalars and histograms need, with their numbers from
 * tensorflow/core/util/event.proto, summary.proto and histogram.proto:
 * Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5},
 * Summary{value=1 repeated Value}, Value{tag=1 string, simple_value=2 float, histo=5},
 * HistogramProto{min=1, max=2, num=3, sum=4, sum_squares=5 double, bucket_limit=6, bucket=7
 * packed repeated double}. The first record carries file_version "brain.Event:2".
 *
 * The files live in the model folder, a hashed output, so they are a function of the run's inputs:
 * the file name is `events.out.tfevents.0.mlc-pipe` (no start time, no host name; a resumed run
 * appends to it) and an event's
 * wall_time defaults to its step (TensorBoard's "relative" axis then counts steps). When each
 * epoch ran is in the stage log (`logs/<pipeline>/<stage>.log`) and the lock file's `at`.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
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
          nested: {
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simple_value: { type: 'float', id: 2 },
                histo: { type: 'tensorflow.HistogramProto', id: 5 },
              },
            },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sum_squares: { type: 'double', id: 5 },
            bucket_limit: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
            bucket: { rule: 'repeated', type: 'double', id: 7, options: { packed: true } },
          },
        },
      },
    },
  },
});
const Event = eventProtos.lookupType('tensorflow.Event');

/** A HistogramProto: `bucket[i]` values fall in (bucket_limit[i−1], bucket_limit[i]]. */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  bucket_limit: number[];
  bucket: number[];
}

type SummaryValue = { tag: string; simple_value?: number; histo?: Histogram };

export function encodeEvent(event: {
  wall_time: number;
  step?: number;
  file_version?: string;
  summary?: { value: SummaryValue[] };
}): Uint8Array {
  return Event.encode(Event.fromObject(event)).finish();
}

/**
 * The histogram of `values` in `buckets` equal-width buckets over [min, max], as TF2's
 * `tf.summary.histogram` buckets it (30 by default); all values equal → one bucket.
 * @param buckets number of buckets. Defaults to 30.
 */
export function histogramOf(values: ArrayLike<number>, buckets = 30): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let num = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sq += v * v;
    num++;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sum_squares: 0, bucket_limit: [], bucket: [] };
  if (min === max) return { min, max, num, sum, sum_squares: sq, bucket_limit: [max], bucket: [num] };
  const width = (max - min) / buckets;
  const bucket = new Array<number>(buckets).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    bucket[Math.min(buckets - 1, Math.floor((v - min) / width))]!++;
  }
  const bucket_limit = bucket.map((_, k) => (k === buckets - 1 ? max : min + (k + 1) * width));
  return { min, max, num, sum, sum_squares: sq, bucket_limit, bucket };
}

export class EventWriter {
  readonly file: string;
  private ready: Promise<void>;
  private chain: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.file = join(dir, 'events.out.tfevents.0.mlc-pipe');
    // a resumed run appends to the file its first part wrote
    const header = frameRecord(encodeEvent({ wall_time: 0, file_version: 'brain.Event:2' }));
    this.ready = mkdir(dir, { recursive: true }).then(() =>
      writeFile(this.file, header, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      }),
    );
  }

  private append(step: number, value: SummaryValue[], wallTime: number): Promise<void> {
    const bytes = frameRecord(encodeEvent({ wall_time: wallTime, step, summary: { value } }));
    this.chain = this.chain.then(() => this.ready).then(() => appendFile(this.file, bytes));
    return this.chain;
  }

  /** Appends one Event with a scalar per entry of `scalars` (non-finite values are skipped). */
  scalars(step: number, scalars: Record<string, number>, wallTime = step): Promise<void> {
    const value = Object.entries(scalars)
      .filter(([, v]) => Number.isFinite(v))
      .map(([tag, v]) => ({ tag, simple_value: v }));
    return this.append(step, value, wallTime);
  }

  /** Appends one Event with a histogram per entry of `histograms`. */
  histograms(step: number, histograms: Record<string, Histogram>, wallTime = step): Promise<void> {
    return this.append(
      step,
      Object.entries(histograms).map(([tag, histo]) => ({ tag, histo })),
      wallTime,
    );
  }

  flush(): Promise<void> {
    return this.chain.then(() => this.ready);
  }
}
