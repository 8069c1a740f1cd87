import * as E from "fp-ts/lib/Either.js";
import type { Dim, Graph, HostTensor, Node, TensorType } from "@loom/graph";
import {
  constantData,
  isConstantNode,
  isInputNode,
  LoomError,
  numel,
  topoOrder,
  tryLoom,
} from "@loom/graph";
import type { ModelProto, TensorProto, ValueInfoProto } from "../proto";
import { onnxDType, protoFromHost, writeModel } from "../proto";
import type { EmitContext, Emitted } from "./emit";
import { emit } from "./emit";
import { planBroadcasts } from "./elide-broadcasts";
import { opExporters } from "./op-exporters";

/**
 * The opset loom writes. 13 is the oldest opset with today's semantics of the ops loom emits
 * (Softmax over one axis, ReduceSum's axes as an input, Pad/Slice/Reshape with tensor inputs),
 * and every runtime in use (onnxruntime on CPU, GPU and web, TensorRT, OpenVINO) runs it.
 */
export const EXPORT_OPSET = 13;

/** Options of {@link exportGraph}. */
export interface ExportOptions {
  /** Values of graph inputs that become initializers, by input name (a pytree path such as `params.fc1.w`). */
  readonly weights: Readonly<Record<string, HostTensor>>;
  /** The ONNX graph's name. */
  readonly name?: string;
}

const valueInfo = (name: string, t: TensorType): ValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType: onnxDType(t.dtype),
      shape: {
        dim: t.shape.map((d: Dim) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
      },
    },
  },
});

/** A constant (or a concrete iota, which is one) as an initializer. */
const constantTensor = (name: string, n: Node): TensorProto | undefined => {
  if (!n.shape.every((d) => typeof d === "number")) return undefined;
  const size = numel(n.shape as number[]);
  let values: number[];
  if (isConstantNode(n)) {
    const data = constantData(n);
    values = data.length === size ? [...data] : Array.from({ length: size }, () => data[0]!);
  } else if (n.op === "iota") {
    const shape = n.shape as number[];
    const axis = n.attrs["axis"] as number;
    const a = axis < 0 ? axis + shape.length : axis;
    const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
    values = Array.from({ length: size }, (_, i) => Math.floor(i / inner) % shape[a]!);
  } else return undefined;
  const data =
    n.dtype === "float32"
      ? Float32Array.from(values)
      : n.dtype === "float64"
        ? Float64Array.from(values)
        : n.dtype === "int32"
          ? Int32Array.from(values)
          : Uint8Array.from(values);
  return protoFromHost(name, { data, shape: n.shape as number[], dtype: n.dtype });
};

/**
 * A loom graph as an ONNX model (opset 13): inputs found in `weights` become initializers
 * named by their pytree paths, the others graph inputs whose symbolic dims (`N`) stay named
 * dims; every node becomes ONNX nodes. One LoomError lists every op that cannot be exported.
 */
export const exportGraph = (g: Graph, opts: ExportOptions): E.Either<LoomError, ModelProto> => {
  const order = topoOrder(g);
  const inputName = new Map(Object.entries(g.inputs).map(([k, n]) => [n, k]));
  const outputOf = new Map<Node, string>();
  for (const [k, n] of Object.entries(g.outputs))
    if (!outputOf.has(n) && !inputName.has(n)) outputOf.set(n, k);
  const names = new Map<Node, string>();
  const out: Emitted = { nodes: [], initializers: [] };
  const inputs: ValueInfoProto[] = [];
  const bad = order.filter(
    (n) =>
      !isInputNode(n) && !isConstantNode(n) && n.op !== "iota" && !Object.hasOwn(opExporters, n.op),
  );
  if (bad.length > 0) {
    const ops = [...new Set(bad.map((n) => n.op))].sort();
    return E.left(
      new LoomError(
        "unsupported",
        "exportOnnx",
        `the graph uses ops with no ONNX opset-${EXPORT_OPSET} form: ${ops.join(", ")}; export the inference function (no gradients, no random numbers)`,
      ),
    );
  }
  const symbols = new Map<string, { input: string; axis: number }>();
  for (const [k, n] of Object.entries(g.inputs))
    if (opts.weights[k] === undefined)
      n.shape.forEach((d, axis) => {
        if (typeof d === "string" && !symbols.has(d)) symbols.set(d, { input: k, axis });
      });
  const plan = planBroadcasts(g);
  const run = tryLoom(() => {
    order.forEach((n, i) => {
      if (plan.dropped(n)) return;
      const name = inputName.get(n) ?? outputOf.get(n) ?? `${n.op}_${i}`;
      names.set(n, name);
      if (isInputNode(n)) {
        const w = opts.weights[name];
        if (w !== undefined) out.initializers.push(protoFromHost(name, w));
        else inputs.push(valueInfo(name, n));
        return;
      }
      const constant = constantTensor(name, n);
      if (constant !== undefined) {
        out.initializers.push(constant);
        return;
      }
      let fresh = 0;
      const c: EmitContext = {
        node: n,
        inputs: plan.reads(n).map((x) => names.get(x)!),
        output: name,
        fresh: (suffix) => `${name}_${suffix}${fresh++}`,
        out,
        symbols,
      };
      opExporters[n.op]!(c);
    });
    const outputs = Object.entries(g.outputs).map(([k, n]) => {
      if (names.get(n) !== k) {
        const c = {
          node: n,
          inputs: [],
          output: k,
          fresh: (s: string) => `${k}_${s}`,
          out,
          symbols,
        };
        emit(c, "Identity", [names.get(n)!], k);
      }
      return valueInfo(k, n);
    });
    return outputs;
  });
  return E.map((outputs: ValueInfoProto[]) => ({
    irVersion: 7,
    producerName: "loom",
    producerVersion: "0.1.0",
    opsetImport: [{ domain: "", version: EXPORT_OPSET }],
    graph: {
      name: opts.name ?? "loom",
      node: out.nodes,
      initializer: out.initializers,
      input: inputs,
      output: outputs,
    },
  }))(run);
};

/** A loom graph as the bytes of a `model.onnx` file; throws the LoomError. */
export const exportOnnx = (g: Graph, opts: ExportOptions): Uint8Array => {
  const r = exportGraph(g, opts);
  if (E.isLeft(r)) throw r.left;
  return writeModel(r.right);
};
