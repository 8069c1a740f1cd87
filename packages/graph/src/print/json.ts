import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { DType } from "../dtype";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Graph } from "../graph";
import { applyOp, makeGraph, numberNodes, topoOrder } from "../graph";
import type { Attrs, Node } from "../node";
import type { OpTable } from "../op-def";
import type { Dim } from "../shape";

/** One node of the JSON form; `inputs` are indices into `nodes`. */
export interface JsonNode {
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

/** The JSON form of a graph: nodes in topological order, inputs and outputs by index. */
export interface JsonGraph {
  readonly nodes: readonly JsonNode[];
  readonly inputs: Readonly<Record<string, number>>;
  readonly outputs: Readonly<Record<string, number>>;
}

/** Serialises a graph to plain JSON (the structural key of a graph, too). */
export const toJson = (g: Graph): JsonGraph => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const idx = (rec: Readonly<Record<string, Node>>) =>
    Object.fromEntries(Object.entries(rec).map(([k, n]) => [k, ids.get(n)!]));
  return {
    nodes: order.map((n) => ({
      op: n.op,
      inputs: n.inputs.map((i) => ids.get(i)!),
      attrs: n.attrs,
      shape: n.shape,
      dtype: n.dtype,
    })),
    inputs: idx(g.inputs),
    outputs: idx(g.outputs),
  };
};

/** Rebuilds a graph from its JSON form, re-checking every node against the op table. */
export const fromJson = (table: OpTable, j: JsonGraph): E.Either<LoomError, Graph> => {
  const nodes: Node[] = [];
  // traverseArray stops at the first Left; node i reads only nodes before it, already built.
  return pipe(
    j.nodes,
    E.traverseArrayWithIndex((i, jn: JsonNode) =>
      jn.inputs.some((k) => !(Number.isInteger(k) && k >= 0 && k < i))
        ? fail<Node>("invalid_graph", jn.op, `node ${i} reads a node that is not before it`)
        : pipe(
            applyOp(
              table,
              jn.op,
              jn.inputs.map((k) => nodes[k]!),
              jn.attrs,
            ),
            E.map((n) => (nodes.push(n), n)),
          ),
    ),
    E.map(() => {
      const pick = (rec: Readonly<Record<string, number>>) =>
        Object.fromEntries(Object.entries(rec).map(([k, i]) => [k, nodes[i]!]));
      return makeGraph(pick(j.inputs), pick(j.outputs));
    }),
  );
};

/** A string equal for structurally equal graphs; used for caching compiled executables. */
export const graphKey = (g: Graph): string =>
  JSON.stringify(toJson(g), (_k, v: unknown) =>
    typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
      ? `#${Object.is(v, -0) ? "-0" : String(v)}`
      : v,
  );
