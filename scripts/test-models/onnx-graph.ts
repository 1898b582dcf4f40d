// Small helpers over `onnx-proto` (the protobufjs build of the ONNX schema) for
// writing the generated test models. Only what those graphs need.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

/** Opset 17: ReduceSum/Unsqueeze take axes as inputs, ReduceMean still as an attribute. */
export const OPSET = 17;
const IR_VERSION = 8;

export type Dim = number | string;

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  const data = Float32Array.from(values);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new Error(`tensor ${name}: ${data.length} values for dims [${dims.join(',')}]`);
  }
  return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

export function valueInfo(name: string, elemType: 'float' | 'int64', shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType === 'float' ? DataType.FLOAT : DataType.INT64,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

type AttrValue = number | number[];

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
): onnxProto.onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([name, value]): onnxProto.onnx.IAttributeProto =>
    Array.isArray(value)
      ? { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value }
      : { name, type: onnx.AttributeProto.AttributeType.INT, i: value },
  );
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

export const FLOAT_TYPE = DataType.FLOAT;

export interface GraphSpec {
  name: string;
  doc: string;
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
  inputs: onnxProto.onnx.IValueInfoProto[];
  outputs: onnxProto.onnx.IValueInfoProto[];
}

/** Builds, verifies and serialises a model; the bytes depend only on the spec. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const model = {
    irVersion: IR_VERSION,
    producerName: 'vlm-guard/make-test-models',
    producerVersion: '1',
    docString: spec.doc,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: spec.name,
      node: spec.nodes,
      initializer: spec.initializers,
      input: spec.inputs,
      output: spec.outputs,
    },
  };
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw new Error(`invalid ONNX model ${spec.name}: ${problem}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
