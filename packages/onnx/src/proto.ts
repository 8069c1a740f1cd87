import * as E from "fp-ts/lib/Either.js";
import onnxProto from "onnx-proto";
import type { DType, HostTensor } from "@loom/graph";
import { allocTyped, LoomError } from "@loom/graph";

const { onnx } = onnxProto;

/** A decoded ONNX model as plain objects (int64 fields as numbers), as `onnx-proto` types it. */
export type ModelProto = onnxProto.onnx.IModelProto;
/** A decoded ONNX graph. */
export type GraphProto = onnxProto.onnx.IGraphProto;
/** A decoded ONNX node. */
export type NodeProto = onnxProto.onnx.INodeProto;
/** A decoded ONNX tensor (an initializer, a Constant's value, a test's input or output). */
export type TensorProto = onnxProto.onnx.ITensorProto;
/** A decoded ONNX attribute. */
export type AttributeProto = onnxProto.onnx.IAttributeProto;
/** A decoded ONNX value description (a graph input or output with its type). */
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX's `TensorProto.DataType` codes that loom reads or writes. */
export const ONNX_DTYPE = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

const LOOM_DTYPES: Readonly<Record<number, DType>> = {
  [1]: "float32",
  [6]: "int32",
  [7]: "int32",
  [9]: "bool",
  [11]: "float64",
};

/** The loom dtype of an ONNX element type: int64 narrows to int32 (loom has no 64-bit ints). */
export const loomDType = (code: number): DType | undefined =>
  Object.hasOwn(LOOM_DTYPES, code) ? LOOM_DTYPES[code] : undefined;

/** The ONNX element type loom writes for a dtype: int32 stays int32, as ONNX allows. */
export const onnxDType = (d: DType): number =>
  ({
    float32: ONNX_DTYPE.FLOAT,
    float64: ONNX_DTYPE.DOUBLE,
    int32: ONNX_DTYPE.INT32,
    bool: ONNX_DTYPE.BOOL,
  })[d];

/** A protobuf int64 (a number, or protobufjs's Long before `toObject`) as a JS number. */
export const num = (x: number | { toNumber(): number } | null | undefined): number =>
  x === null || x === undefined ? 0 : typeof x === "number" ? x : x.toNumber();

const OBJECT_OPTIONS = { longs: Number, defaults: false, arrays: true } as const;

const decodeWith = <T>(what: string, decode: () => T): E.Either<LoomError, T> =>
  E.tryCatch(
    decode,
    (e) =>
      new LoomError(
        "invalid_argument",
        "onnx",
        `cannot decode ${what}: ${e instanceof Error ? e.message : String(e)}; is it an ONNX protobuf file?`,
      ),
  );

/** The static codec protobufjs generates for one message type. */
interface MessageType<M> {
  decode(bytes: Uint8Array): M;
  toObject(message: M, options: typeof OBJECT_OPTIONS): object;
  fromObject(object: object): M;
  encode(message: M): { finish(): Uint8Array };
}

/** Reads one message type's bytes into plain objects (a LoomError naming `what` on bad bytes). */
const reader =
  <M, T>(type: MessageType<M>, what: string) =>
  (bytes: Uint8Array): E.Either<LoomError, T> =>
    decodeWith(what, () => type.toObject(type.decode(bytes), OBJECT_OPTIONS) as T);

/** Writes one message type's plain objects to bytes. */
const writer =
  <M, T extends object>(type: MessageType<M>) =>
  (message: T): Uint8Array =>
    type.encode(type.fromObject(message)).finish();

/** Decodes an ONNX model file (`model.onnx`) into plain objects. */
export const readModel = reader<onnxProto.onnx.ModelProto, ModelProto>(
  onnx.ModelProto,
  "the model",
);

/** Encodes an ONNX model to the bytes of a `model.onnx` file. */
export const writeModel = writer<onnxProto.onnx.ModelProto, ModelProto>(onnx.ModelProto);

/** Decodes a serialized `TensorProto` (the backend tests' `input_0.pb`). */
export const readTensorProto = reader<onnxProto.onnx.TensorProto, TensorProto>(
  onnx.TensorProto,
  "a tensor",
);

/** Encodes a `TensorProto` (for writing test data). */
export const writeTensorProto = writer<onnxProto.onnx.TensorProto, TensorProto>(onnx.TensorProto);

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** Reads `raw_data` little-endian; int64 is narrowed, saturating at int32's range. */
const rawValues = (code: number, raw: Uint8Array): number[] | undefined => {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (size: number, get: (at: number) => number) =>
    Array.from({ length: Math.floor(raw.byteLength / size) }, (_, i) => get(i * size));
  switch (code) {
    case ONNX_DTYPE.FLOAT:
      return read(4, (at) => view.getFloat32(at, true));
    case ONNX_DTYPE.DOUBLE:
      return read(8, (at) => view.getFloat64(at, true));
    case ONNX_DTYPE.INT32:
      return read(4, (at) => view.getInt32(at, true));
    case ONNX_DTYPE.INT64:
      return read(8, (at) => Number(view.getBigInt64(at, true)));
    case ONNX_DTYPE.BOOL:
      return Array.from(raw, (b) => (b === 0 ? 0 : 1));
    default:
      return undefined;
  }
};

/** The values of a tensor, from whichever field holds them. */
const protoValues = (t: TensorProto, code: number): number[] | undefined => {
  if (t.rawData && t.rawData.length > 0) return rawValues(code, t.rawData);
  if (code === ONNX_DTYPE.FLOAT) return t.floatData ?? [];
  if (code === ONNX_DTYPE.DOUBLE) return t.doubleData ?? [];
  if (code === ONNX_DTYPE.INT64) return (t.int64Data ?? []).map(num);
  if (code === ONNX_DTYPE.INT32 || code === ONNX_DTYPE.BOOL) return t.int32Data ?? [];
  return undefined;
};

const saturate = (v: number) => Math.min(INT32_MAX, Math.max(INT32_MIN, v));

/** A `TensorProto` as a loom host tensor, or a LoomError for element types loom lacks. */
export const hostFromProto = (t: TensorProto): E.Either<LoomError, HostTensor> => {
  const code = t.dataType ?? 0;
  const dtype = loomDType(code);
  const values = protoValues(t, code);
  const shape = (t.dims ?? []).map(num);
  const what = `tensor ${t.name ?? "(unnamed)"}`;
  if (t.externalData && t.externalData.length > 0)
    return E.left(
      new LoomError(
        "unsupported",
        "onnx",
        `${what} keeps its data in an external file; save the model with its data inside`,
      ),
    );
  if (dtype === undefined || values === undefined)
    return E.left(
      new LoomError(
        "unsupported",
        "onnx",
        `${what} has element type ${code}; loom reads float, double, int32, int64 and bool`,
      ),
    );
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size)
    return E.left(
      new LoomError(
        "shape_mismatch",
        "onnx",
        `${what} has ${values.length} values for shape [${shape.join(",")}]`,
        [shape],
      ),
    );
  const data = allocTyped(dtype, size);
  data.set(code === ONNX_DTYPE.INT64 ? values.map(saturate) : values);
  return E.right({ data, shape, dtype });
};

/** A host tensor as a `TensorProto` named `name`, its values in `raw_data`. */
export const protoFromHost = (name: string, t: HostTensor): TensorProto => {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return {
    name,
    dims: [...t.shape] as number[],
    dataType: onnxDType(t.dtype),
    rawData: new Uint8Array(bytes),
  };
};
