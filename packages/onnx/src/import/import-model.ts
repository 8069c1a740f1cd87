import * as A from "fp-ts/lib/Array.js";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Dim, HostTensor } from "@loom/graph";
import { LoomError, tryLoom } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { flattenTree, isTensor } from "@loom/ops";
import type { ModelProto, NodeProto, ValueInfoProto } from "../proto";
import { hostFromProto, loomDType, num, readModel } from "../proto";
import type { ConvertNode } from "./context";
import { attrReader, constantOf, staticValues } from "./context";
import { converters } from "./converters";
import { nestByDots } from "./param-tree";
import type { StandIns } from "./symbolic-dims";
import { hasSymbols, standIns } from "./symbolic-dims";

/** An ONNX model as a loom pure function and its parameters. */
export interface ImportedModel {
  /** The graph's name. */
  readonly name: string;
  /** The default-domain opset the model was saved with. */
  readonly opset: number;
  /** The float initializers, nested by the dots of their names: the trainable parameters. */
  readonly params: Tree<HostTensor>;
  /** The graph inputs that are not initializers, with symbolic dims named by their dim_param. */
  readonly inputs: Readonly<Record<string, TensorSpec>>;
  /** The graph's output names, in order. */
  readonly outputs: readonly string[];
  /** How many nodes of each op type the graph has. */
  readonly opCounts: Readonly<Record<string, number>>;
  /**
   * The model as a pure function: parameters (a tree like `params`) and inputs by name to
   * outputs by name. It builds loom graph like any model, so it traces, compiles on every
   * backend and differentiates.
   */
  readonly apply: (
    params: Tree<Tensor>,
    inputs: Readonly<Record<string, Tensor>>,
  ) => Record<string, Tensor>;
}

/** Options of {@link importModel}. */
export interface ImportOptions {
  /**
   * Graph inputs to fix as constants at import time (the backend test runner fixes integer
   * inputs that an op needs as a shape or axes).
   */
  readonly constants?: Readonly<Record<string, HostTensor>>;
}

const opsetOf = (m: ModelProto): number =>
  num(
    (m.opsetImport ?? []).find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version ??
      1,
  );

const isDefaultDomain = (n: NodeProto) => (n.domain ?? "") === "" || n.domain === "ai.onnx";

/** One LoomError naming every node whose op loom does not import, before anything is built. */
const checkSupported = (nodes: readonly NodeProto[]): E.Either<LoomError, void> => {
  const bad = nodes.filter(
    (n) => !isDefaultDomain(n) || !Object.hasOwn(converters, n.opType ?? ""),
  );
  if (bad.length === 0) return E.right(undefined);
  const ops = [...new Set(bad.map((n) => `${n.domain ? `${n.domain}.` : ""}${n.opType}`))].sort();
  const list = bad.map((n, i) => `${n.opType} (node ${n.name || `#${i}`})`).join(", ");
  return E.left(
    new LoomError(
      "unsupported",
      "importOnnx",
      `${bad.length} node(s) use ops loom does not import: ${list}. Unsupported op types: ${ops.join(", ")}; re-export the model with supported ops or ask for them`,
    ),
  );
};

const specOf = (v: ValueInfoProto): E.Either<LoomError, TensorSpec> => {
  const t = v.type?.tensorType;
  const dtype = loomDType(t?.elemType ?? 0);
  if (t === undefined || t === null || dtype === undefined)
    return E.left(
      new LoomError(
        "unsupported",
        "importOnnx",
        `input ${v.name} is not a tensor of float, double, int32, int64 or bool`,
      ),
    );
  const shape: Dim[] = (t.shape?.dim ?? []).map((d, i) =>
    d.dimValue !== undefined && d.dimValue !== null
      ? num(d.dimValue)
      : d.dimParam || `${v.name}_${i}`,
  );
  return E.right({ shape, dtype });
};

/** Ops that take a shape input holding symbolic dims (`needDims`): their result has no twin. */
const READS_DIMS: ReadonlySet<string> = new Set(["Reshape", "Expand"]);
/** Ops whose result is an input's shape, so a symbolic dim in it makes a twin. */
const READS_SHAPE: ReadonlySet<string> = new Set(["Shape", "Size"]);

/** Where the importer keeps values: each tensor by name, and the twins of the symbolic ones. */
interface Env {
  readonly values: Map<string, Tensor>;
  readonly twins: Map<string, Tensor>;
  readonly stand: StandIns;
}

const sameStatic = (a: Tensor, b: Tensor): boolean => {
  const [va, vb] = [staticValues(a), staticValues(b)];
  return va !== undefined && vb !== undefined && va.join() === vb.join();
};

/**
 * Runs the nodes in order, each converted by its op's converter, naming the node on a failure.
 * A node that reads a symbolic dim's size runs twice (see symbolic-dims.ts).
 */
const runNodes = (nodes: readonly NodeProto[], opset: number, env: Env): void => {
  nodes.forEach((node, i) => {
    const name = node.name || `#${i}`;
    const opType = node.opType ?? "";
    const names = node.input ?? [];
    const missing = names.find((s) => s !== "" && !env.values.has(s));
    if (missing !== undefined)
      throw new LoomError(
        "invalid_graph",
        opType,
        `node ${name} reads ${missing}, which no earlier node or input defines`,
      );
    const inputs = names.map((s) => (s === "" ? undefined : env.values.get(s)));
    const twins = names.map((s) => (s === "" ? undefined : env.twins.get(s)));
    const attrs = attrReader(node.attribute ?? []);
    const convert = (run: 0 | 1): readonly Tensor[] => {
      const view: ConvertNode = {
        name,
        opType,
        inputs: run === 0 ? inputs : inputs.map((t, k) => twins[k] ?? t),
        attrs,
        opset,
        outputCount: (node.output ?? []).length,
        twins,
        standIn: (s) => env.stand.of(s, run),
        symbolOf: env.stand.symbolOf,
      };
      const out = tryLoom(() => converters[opType]!(view));
      if (E.isRight(out)) return out.right;
      const e = out.left;
      throw new LoomError(e.code, opType, `node ${name}: ${e.message}`, e.shapes);
    };
    const out = convert(0);
    const twinned =
      !READS_DIMS.has(opType) &&
      (twins.some((t) => t !== undefined) || (READS_SHAPE.has(opType) && hasSymbols(inputs[0])));
    const twinOut = twinned ? convert(1) : [];
    (node.output ?? []).forEach((o, k) => {
      if (o === "" || out[k] === undefined) return;
      env.values.set(o, out[k]!);
      const t = twinOut[k];
      if (t !== undefined && !sameStatic(out[k]!, t)) env.twins.set(o, t);
    });
  });
};

/** An ONNX model (decoded) as a loom function, or one LoomError naming every unsupported node. */
export const importModel = (
  model: ModelProto,
  opts: ImportOptions = {},
): E.Either<LoomError, ImportedModel> => {
  const g = model.graph ?? {};
  const nodes = g.node ?? [];
  const opset = opsetOf(model);
  const constants = opts.constants ?? {};
  return pipe(
    E.Do,
    E.chainFirst(() => checkSupported(nodes)),
    E.bind("inits", () =>
      pipe(
        g.initializer ?? [],
        A.traverse(E.Applicative)((t) =>
          pipe(
            hostFromProto(t),
            E.map((h) => [t.name ?? "", h] as const),
          ),
        ),
      ),
    ),
    E.bind("inputs", ({ inits }) => {
      const initNames = new Set(inits.map(([k]) => k));
      return pipe(
        (g.input ?? []).filter(
          (v) => !initNames.has(v.name ?? "") && !Object.hasOwn(constants, v.name ?? ""),
        ),
        A.traverse(E.Applicative)((v) =>
          pipe(
            specOf(v),
            E.map((s) => [v.name ?? "", s] as const),
          ),
        ),
      );
    }),
    E.map(({ inits, inputs }) => {
      // Float initializers are parameters; integer ones (shapes, axes, indices) stay constants.
      const isParam = (h: HostTensor) => h.dtype === "float32" || h.dtype === "float64";
      const params = inits.filter(([, h]) => isParam(h));
      const fixed = [...inits.filter(([, h]) => !isParam(h)), ...Object.entries(constants)];
      const opCounts: Record<string, number> = {};
      for (const n of nodes) opCounts[n.opType ?? ""] = (opCounts[n.opType ?? ""] ?? 0) + 1;
      const outputs = (g.output ?? []).map((o) => o.name ?? "");
      const apply = (p: Tree<Tensor>, xs: Readonly<Record<string, Tensor>>) => {
        const env = new Map<string, Tensor>();
        for (const [k, h] of fixed) env.set(k, constantOf(h));
        for (const { path, leaf } of flattenTree(p, isTensor)) env.set(path, leaf);
        for (const [k] of inputs) {
          const x = xs[k];
          if (x === undefined)
            throw new LoomError(
              "missing_feed",
              "importOnnx",
              `the model needs input ${k}; got ${Object.keys(xs).join(", ") || "none"}`,
            );
          env.set(k, x);
        }
        const twins = new Map<string, Tensor>();
        runNodes(nodes, opset, { values: env, twins, stand: standIns() });
        return Object.fromEntries(
          outputs.map((o) => {
            const t = env.get(o);
            if (twins.has(o))
              throw new LoomError(
                "unsupported",
                "importOnnx",
                `the output ${o} depends on the size of a symbolic dim of an input (${Object.keys(xs).join(", ")}), which loom knows only when the model runs; import with that dim fixed in the model's input`,
              );
            if (t === undefined)
              throw new LoomError(
                "invalid_graph",
                "importOnnx",
                `no node computes the output ${o}`,
              );
            return [o, t];
          }),
        );
      };
      return {
        name: g.name ?? "model",
        opset,
        params: nestByDots(params),
        inputs: Object.fromEntries(inputs),
        outputs,
        opCounts,
        apply,
      };
    }),
  );
};

/**
 * Applies an imported model to one tree `{ params, inputs }`, the shape `compile` and `trace`
 * hand a function: `compile(backend, (x) => applyTree(m, x), { params: specs, inputs: specs })`.
 */
export const applyTree = (m: ImportedModel, x: Tree<Tensor>): Record<string, Tensor> => {
  const { params, inputs } = x as { params: Tree<Tensor>; inputs: Record<string, Tensor> };
  return m.apply(params, inputs);
};

/** Decodes and imports an ONNX file's bytes (`fs.readFileSync("model.onnx")`); throws the LoomError. */
export const importOnnx = (bytes: Uint8Array, opts: ImportOptions = {}): ImportedModel => {
  const notOnnx = (why: string) =>
    new LoomError("invalid_argument", "importOnnx", `not an ONNX model (${why})`);
  const r = pipe(
    readModel(bytes),
    E.mapLeft((e) => notOnnx(e.message)),
    // Protobuf decodes many non-ONNX bytes without complaint: a model has a graph with outputs.
    E.filterOrElse(
      (m) => (m.graph?.output ?? []).length > 0,
      () => notOnnx("it has no graph outputs; give a model.onnx file"),
    ),
    E.chain((m) => importModel(m, opts)),
  );
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
