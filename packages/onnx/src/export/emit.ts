import type { Dim, DType, Node } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { AttributeProto, NodeProto, TensorProto } from "../proto";
import { onnxDType } from "../proto";

/** What an op's exporter adds to the ONNX graph: nodes, and constant tensors they read. */
export interface Emitted {
  readonly nodes: NodeProto[];
  readonly initializers: TensorProto[];
}

/**
 * The context an op's exporter writes into: the ONNX value name of each loom input, a fresh
 * name for an intermediate value, and helpers for attributes and int64 constants.
 */
export interface EmitContext {
  readonly node: Node;
  /** The ONNX value names of the node's inputs. */
  readonly inputs: readonly string[];
  /** The ONNX value name the node's result must have. */
  readonly output: string;
  /** A fresh value name derived from the output's. */
  readonly fresh: (suffix: string) => string;
  readonly out: Emitted;
  /** Where each symbolic dim can be read at run time: a graph input and its axis. */
  readonly symbols: ReadonlyMap<string, { readonly input: string; readonly axis: number }>;
}

const ATTR_INT = 2;
const ATTR_INTS = 7;
const ATTR_TENSOR = 4;

/** An int attribute. */
export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: ATTR_INT, i });
/** An ints attribute. */
export const intsAttr = (name: string, ints: readonly number[]): AttributeProto => ({
  name,
  type: ATTR_INTS,
  ints: [...ints],
});

/** Adds a node. */
export const emit = (
  c: EmitContext,
  opType: string,
  inputs: readonly string[],
  output: string,
  attribute: readonly AttributeProto[] = [],
): void => {
  c.out.nodes.push({
    name: output,
    opType,
    input: [...inputs],
    output: [output],
    attribute: [...attribute],
  });
};

/** Adds an int64 vector constant (a shape, axes, pads) and returns its name. */
export const int64s = (c: EmitContext, suffix: string, values: readonly number[]): string => {
  const name = c.fresh(suffix);
  c.out.initializers.push({ name, dims: [values.length], dataType: 7, int64Data: [...values] });
  return name;
};

/**
 * Adds a scalar of `dtype` as a Constant node, not an initializer: importers (loom's
 * included) take float initializers for trainable weights, and this value is an attribute.
 */
export const scalarOf = (c: EmitContext, suffix: string, value: number, dtype: DType): string => {
  const name = c.fresh(suffix);
  const code = onnxDType(dtype);
  const t: TensorProto =
    dtype === "float32"
      ? { dims: [], dataType: code, floatData: [value] }
      : dtype === "float64"
        ? { dims: [], dataType: code, doubleData: [value] }
        : { dims: [], dataType: code, int32Data: [value] };
  emit(c, "Constant", [], name, [{ name: "value", type: ATTR_TENSOR, t }]);
  return name;
};

/**
 * An int64 shape vector as an ONNX value: a constant when every dim is a number, else a
 * Concat whose symbolic dims are read at run time from the Shape of a graph input that has
 * them (so `[N, 16, 32, 32]` works for any batch size).
 */
export const shapeValue = (
  c: EmitContext,
  suffix: string,
  dims: readonly (Dim | number)[],
): string => {
  if (dims.every((d) => typeof d === "number")) return int64s(c, suffix, dims as number[]);
  const parts = dims.map((d) => {
    if (typeof d === "number") return int64s(c, `${suffix}_dim`, [d]);
    const at = c.symbols.get(d);
    if (at === undefined)
      throw new LoomError(
        "unsupported",
        "exportOnnx",
        `${c.node.op}: no graph input has the symbolic dim ${d}; bind it before exporting`,
      );
    const shape = c.fresh(`${suffix}_shape`);
    emit(c, "Shape", [at.input], shape);
    const dim = c.fresh(`${suffix}_${d}`);
    emit(c, "Slice", [shape, int64s(c, "at", [at.axis]), int64s(c, "next", [at.axis + 1])], dim);
    return dim;
  });
  const out = c.fresh(suffix);
  emit(c, "Concat", parts, out, [intAttr("axis", 0)]);
  return out;
};
