import type { Dim, Node } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { onnxDType } from "../proto";
import type { EmitContext } from "./emit";
import { emit, int64s, intAttr, intsAttr, scalarOf, shapeValue } from "./emit";

/** Writes one loom node as ONNX nodes; throws a LoomError `unsupported` for what ONNX 13 cannot say. */
export type OpExporter = (c: EmitContext) => void;

// Slice clamps its bounds to the axis: past-the-end values (an open end, a walk back to the start).
const END = 2 ** 31 - 1;
const BEFORE_START = -(2 ** 31);

const same =
  (opType: string): OpExporter =>
  (c) =>
    emit(c, opType, c.inputs, c.output);

const attrs = (n: Node) => n.attrs as Record<string, unknown>;

const unsupportedDims = (c: EmitContext, what: string): LoomError =>
  new LoomError(
    "unsupported",
    "exportOnnx",
    `${c.node.op}: ${what} (${JSON.stringify(c.node.shape)})`,
  );

/** Reshape's target: one symbolic dim becomes -1; more are read at run time. */
const reshapeTarget = (c: EmitContext, shape: readonly Dim[]): string => {
  const symbols = shape.filter((d) => typeof d !== "number");
  return symbols.length === 1
    ? int64s(
        c,
        "shape",
        shape.map((d) => (typeof d === "number" ? d : -1)),
      )
    : shapeValue(c, "shape", shape);
};

/** Expand's shape: a dim the input already has (symbolic or not) becomes 1, which broadcasts. */
const expandShape = (c: EmitContext, from: readonly Dim[], to: readonly Dim[]): string => {
  const offset = to.length - from.length;
  return shapeValue(
    c,
    "shape",
    to.map((d, i) => (i >= offset && from[i - offset] === d ? 1 : d)),
  );
};

const pads4 = (p: readonly number[]) => [p[0]!, p[2]!, p[1]!, p[3]!];

const windowAttrs = (a: Record<string, unknown>) => [
  intsAttr("strides", a["stride"] as number[]),
  intsAttr("pads", pads4(a["pad"] as number[])),
];

/** MaxPool and AveragePool: the window, and AveragePool's divisor rule. */
const pool =
  (opType: "MaxPool" | "AveragePool"): OpExporter =>
  (c) => {
    const a = attrs(c.node);
    emit(c, opType, c.inputs, c.output, [
      intsAttr("kernel_shape", a["kernel"] as number[]),
      ...windowAttrs(a),
      intAttr("ceil_mode", a["ceilMode"] ? 1 : 0),
      ...(opType === "AveragePool"
        ? [intAttr("count_include_pad", a["countIncludePad"] ? 1 : 0)]
        : []),
    ]);
  };

const bitwise =
  (opType: string): OpExporter =>
  (c) => {
    if (c.node.dtype !== "bool") throw unsupportedDims(c, "bitwise ops on integers need opset 18");
    emit(c, opType, c.inputs, c.output);
  };

/** ONNX opset-13 exporters of loom's primitives, by primitive name. */
export const opExporters: Readonly<Record<string, OpExporter>> = {
  add: same("Add"),
  sub: same("Sub"),
  mul: same("Mul"),
  div: same("Div"),
  pow: same("Pow"),
  maximum: same("Max"),
  minimum: same("Min"),
  eq: same("Equal"),
  lt: same("Less"),
  le: same("LessOrEqual"),
  gt: same("Greater"),
  ge: same("GreaterOrEqual"),
  ne: (c) => {
    const e = c.fresh("eq");
    emit(c, "Equal", c.inputs, e);
    emit(c, "Not", [e], c.output);
  },
  bitwise_and: bitwise("And"),
  bitwise_or: bitwise("Or"),
  bitwise_xor: bitwise("Xor"),
  bitwise_not: bitwise("Not"),
  neg: same("Neg"),
  abs: same("Abs"),
  sign: same("Sign"),
  exp: same("Exp"),
  log: same("Log"),
  sqrt: same("Sqrt"),
  recip: same("Reciprocal"),
  sin: same("Sin"),
  cos: same("Cos"),
  tanh: same("Tanh"),
  sigmoid: same("Sigmoid"),
  softplus: same("Softplus"),
  floor: same("Floor"),
  select: same("Where"),
  cast: (c) => emit(c, "Cast", c.inputs, c.output, [intAttr("to", onnxDType(c.node.dtype))]),
  reshape: (c) => emit(c, "Reshape", [c.inputs[0]!, reshapeTarget(c, c.node.shape)], c.output),
  transpose: (c) =>
    emit(c, "Transpose", c.inputs, c.output, [intsAttr("perm", attrs(c.node)["perm"] as number[])]),
  broadcast: (c) =>
    emit(
      c,
      "Expand",
      [c.inputs[0]!, expandShape(c, c.node.inputs[0]!.shape, c.node.shape)],
      c.output,
    ),
  concat: (c) =>
    emit(c, "Concat", c.inputs, c.output, [intAttr("axis", attrs(c.node)["axis"] as number)]),
  slice: (c) => {
    const a = attrs(c.node);
    const begin = a["begin"] as number[];
    const end = (a["end"] as (number | null)[]).map((e) => (e === null ? END : e));
    const axes = begin.map((_, i) => i);
    emit(
      c,
      "Slice",
      [
        c.inputs[0]!,
        int64s(c, "starts", begin),
        int64s(c, "ends", end),
        int64s(c, "axes", axes),
        int64s(c, "steps", a["step"] as number[]),
      ],
      c.output,
    );
  },
  flip: (c) => {
    const axes = attrs(c.node)["axes"] as number[];
    emit(
      c,
      "Slice",
      [
        c.inputs[0]!,
        int64s(
          c,
          "starts",
          axes.map(() => -1),
        ),
        int64s(
          c,
          "ends",
          axes.map(() => BEFORE_START),
        ),
        int64s(c, "axes", axes),
        int64s(
          c,
          "steps",
          axes.map(() => -1),
        ),
      ],
      c.output,
    );
  },
  pad: (c) => {
    const a = attrs(c.node);
    const pads = [...(a["low"] as number[]), ...(a["high"] as number[])];
    const value = scalarOf(c, "value", a["value"] as number, c.node.dtype);
    emit(c, "Pad", [c.inputs[0]!, int64s(c, "pads", pads), value], c.output, []);
  },
  reduce_sum: (c) => {
    const a = attrs(c.node);
    emit(c, "ReduceSum", [c.inputs[0]!, int64s(c, "axes", a["axes"] as number[])], c.output, [
      intAttr("keepdims", a["keepdims"] ? 1 : 0),
    ]);
  },
  reduce_max: (c) => {
    const a = attrs(c.node);
    emit(c, "ReduceMax", [c.inputs[0]!], c.output, [
      intsAttr("axes", a["axes"] as number[]),
      intAttr("keepdims", a["keepdims"] ? 1 : 0),
    ]);
  },
  matmul: same("MatMul"),
  conv2d: (c) => {
    const a = attrs(c.node);
    emit(c, "Conv", c.inputs, c.output, [
      ...windowAttrs(a),
      intsAttr("dilations", a["dilation"] as number[]),
      intAttr("group", a["groups"] as number),
    ]);
  },
  max_pool2d: pool("MaxPool"),
  avg_pool2d: pool("AveragePool"),
};
