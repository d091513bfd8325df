/**
 * A small builder for an ONNX graph: unique value names, float/int64 initializers (raw little-endian
 * bytes, as TensorProto.raw_data requires) and nodes with typed attributes.
 */
import { AttributeType, DataType, type AttributeMsg, type NodeMsg, type TensorMsg } from './onnx-proto.ts';

/** A typed attribute value: integers and floats must be told apart for ONNX. */
export type Attr = { int: number } | { ints: number[] } | { float: number } | { floats: number[] } | { string: string };

export class OnnxGraph {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private used = new Set<string>();

  /** `base`, or `base_1`, `base_2`, … so every value and node name is unique. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a float32 initializer and returns its name. */
  float(base: string, dims: number[], data: Float32Array | number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (arr.length !== expected)
      throw new Error(`internal: initializer ${base} has ${arr.length} values for dims [${dims}]`);
    const name = this.unique(base);
    this.initializers.push({
      name,
      dims,
      dataType: DataType.FLOAT,
      rawData: new Uint8Array(arr.buffer.slice(arr.byteOffset, arr.byteOffset + arr.byteLength)),
    });
    return name;
  }

  /** Adds an int64 initializer (shapes, pads, split sizes) and returns its name. */
  int64(base: string, values: number[], dims: number[] = [values.length]): string {
    const name = this.unique(base);
    const arr = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: new Uint8Array(arr.buffer) });
    return name;
  }

  /**
   * Adds a node and returns its output names (`outputs` of them, named from `base`).
   * An empty string in `inputs` marks an omitted optional input.
   */
  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, base = opType, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push({
      input: inputs,
      output: out,
      name: this.unique(`${base}/${opType}`),
      opType,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Adds a node writing to an exact, output name taken with `unique` (graph outputs). */
  opInto(opType: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}): string {
    this.nodes.push({
      input: inputs,
      output: [output],
      name: this.unique(`${output}/${opType}`),
      opType,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Single-output shorthand for `node`. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, base = opType): string {
    return this.node(opType, inputs, attrs, base, 1)[0]!;
  }
}

function attribute(name: string, v: Attr): AttributeMsg {
  if ('int' in v) return { name, type: AttributeType.INT, i: v.int };
  if ('ints' in v) return { name, type: AttributeType.INTS, ints: v.ints };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v.string) };
}
