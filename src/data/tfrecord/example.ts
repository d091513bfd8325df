/**
 * `tf.train.Example` encode/decode with protobufjs. The messages are declared from the field numbers
 * of tensorflow/core/example/{example,feature}.proto (Example.features = 1, Features.feature = 1
 * (map<string, Feature>), Feature.{bytes_list = 1, float_list = 2, int64_list = 3}, each list's
 * `value = 1`, floats and int64s packed).
 *
 * mlc-pipe's image record uses the usual keys: image/encoded (original file bytes), image/format,
 * image/height, image/width, image/filename, image/class/label (one int64 per head, -1 = unknown).
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package tensorflow;
message BytesList { repeated bytes value = 1; }
message FloatList { repeated float value = 1 [packed = true]; }
message Int64List { repeated int64 value = 1 [packed = true]; }
message Feature {
  oneof kind {
    BytesList bytes_list = 1;
    FloatList float_list = 2;
    Int64List int64_list = 3;
  }
}
message Features { map<string, Feature> feature = 1; }
message Example { Features features = 1; }
`;

// resolveAll() is needed for `packed` to take effect: without it protobufjs 7.6 writes unpacked
// repeated int64s (tag 0x08 per value) rather than TensorFlow's packed form (0x0a len values).
const ExampleType = protobuf.parse(PROTO, { keepCase: true }).root.resolveAll().lookupType('tensorflow.Example');

/** One feature value, as in tf.train.Feature. */
export type FeatureValue = { bytesList: Uint8Array[] } | { floatList: number[] } | { int64List: number[] };

/** Serialises features (in the given key order) to Example bytes. */
export function encodeExample(features: Record<string, FeatureValue>): Uint8Array {
  const feature: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(features)) {
    if ('bytesList' in v) feature[key] = { bytes_list: { value: v.bytesList } };
    else if ('floatList' in v) feature[key] = { float_list: { value: v.floatList } };
    else feature[key] = { int64_list: { value: v.int64List } };
  }
  return ExampleType.encode(ExampleType.fromObject({ features: { feature } })).finish();
}

/** Parses Example bytes into features (int64 values as JS numbers). Throws on malformed protobuf. */
export function decodeExample(bytes: Uint8Array): Record<string, FeatureValue> {
  const obj = ExampleType.toObject(ExampleType.decode(bytes), { longs: Number, defaults: false }) as {
    features?: {
      feature?: Record<
        string,
        { bytes_list?: { value?: Uint8Array[] }; float_list?: { value?: number[] }; int64_list?: { value?: number[] } }
      >;
    };
  };
  const out: Record<string, FeatureValue> = {};
  for (const [key, f] of Object.entries(obj.features?.feature ?? {})) {
    if (f.bytes_list)
      out[key] = {
        bytesList: (f.bytes_list.value ?? []).map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
      };
    else if (f.float_list) out[key] = { floatList: f.float_list.value ?? [] };
    else if (f.int64_list) out[key] = { int64List: f.int64_list.value ?? [] };
  }
  return out;
}

/** The image record mlc-pipe writes and reads. */
export interface ImageExample {
  encoded: Uint8Array;
  format: string;
  height: number;
  width: number;
  filename: string;
  labels: number[];
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeImageExample(e: ImageExample): Uint8Array {
  return encodeExample({
    'image/encoded': { bytesList: [e.encoded] },
    'image/format': { bytesList: [utf8.encode(e.format)] },
    'image/height': { int64List: [e.height] },
    'image/width': { int64List: [e.width] },
    'image/filename': { bytesList: [utf8.encode(e.filename)] },
    'image/class/label': { int64List: e.labels },
  });
}

/** Reads the image keys back; throws an Error naming the first missing key. */
export function decodeImageExample(bytes: Uint8Array): ImageExample {
  const f = decodeExample(bytes);
  const bytesOf = (k: string): Uint8Array => {
    const v = f[k];
    if (!v || !('bytesList' in v) || v.bytesList.length === 0) throw new Error(`Example has no bytes feature "${k}"`);
    return v.bytesList[0]!;
  };
  const intsOf = (k: string): number[] => {
    const v = f[k];
    if (!v || !('int64List' in v)) throw new Error(`Example has no int64 feature "${k}"`);
    return v.int64List;
  };
  return {
    encoded: bytesOf('image/encoded'),
    format: fromUtf8.decode(bytesOf('image/format')),
    height: intsOf('image/height')[0] ?? 0,
    width: intsOf('image/width')[0] ?? 0,
    filename: fromUtf8.decode(bytesOf('image/filename')),
    labels: intsOf('image/class/label'),
  };
}
