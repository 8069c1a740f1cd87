import * as E from "fp-ts/lib/Either.js";
import { LoomError } from "../error";
import { ownValue } from "../own";
import type { Graph } from "../graph";
import { formatType, topoOrder } from "../graph";
import type { OpTable } from "../op-def";
import type { Pass } from "./pass";
import { isInputNode } from "../sources";

/**
 * Checks a graph's invariants: every op is known, every node's stored type is what its rule
 * infers from its inputs, nodes are frozen, and every `input` node is a declared graph input.
 */
export const validateGraph = (table: OpTable, g: Graph): E.Either<LoomError, Graph> => {
  const declared = new Map(Object.entries(g.inputs).map(([k, n]) => [n, k]));
  for (const [name, n] of Object.entries(g.inputs)) {
    if (!isInputNode(n) || n.attrs["name"] !== name) {
      return E.left(
        new LoomError(
          "invalid_graph",
          "validate",
          `graph input "${name}" is a ${n.op} node, not input("${name}")`,
        ),
      );
    }
  }
  for (const n of topoOrder(g)) {
    if (!Object.isFrozen(n)) {
      return E.left(
        new LoomError("invalid_graph", n.op, "node is not frozen; build nodes with applyOp"),
      );
    }
    const def = ownValue(table, n.op);
    if (def === undefined) {
      return E.left(new LoomError("unknown_op", n.op, "op is not in the op table"));
    }
    if (isInputNode(n) && !declared.has(n)) {
      return E.left(
        new LoomError(
          "invalid_graph",
          "input",
          `input "${String(n.attrs["name"])}" is used but not declared as a graph input; pass it to the graph's inputs`,
          [n.shape],
        ),
      );
    }
    const t = def.infer(n.inputs, n.attrs);
    if (E.isLeft(t)) return t;
    if (t.right.dtype !== n.dtype || t.right.shape.join() !== n.shape.join()) {
      return E.left(
        new LoomError(
          "invalid_graph",
          n.op,
          `stored type ${formatType(n)} differs from inferred ${formatType(t.right)}`,
          [n.shape, t.right.shape],
        ),
      );
    }
  }
  return E.right(g);
};

/** The validator as a pass (identity on valid graphs). */
export const validatePass = (table: OpTable): Pass => ({
  name: "validate",
  run: (g) => validateGraph(table, g),
});
