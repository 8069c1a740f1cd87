import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Node } from "../node";
import { ownValue } from "../own";
import type { Graph } from "../graph";
import { formatType, topoOrder } from "../graph";
import type { OpTable } from "../op-def";
import type { Pass } from "./pass";
import { isInputNode } from "../sources";

/** Every declared input is an `input` node of that name. */
const checkInput = ([name, n]: readonly [string, Node]): E.Either<LoomError, Node> =>
  isInputNode(n) && n.attrs["name"] === name
    ? E.right(n)
    : fail(
        "invalid_graph",
        "validate",
        `graph input "${name}" is a ${n.op} node, not input("${name}")`,
      );

/** One node: frozen, its op known, an input only if declared, and its stored type the inferred one. */
const checkNode =
  (table: OpTable, declared: ReadonlySet<Node>) =>
  (n: Node): E.Either<LoomError, Node> => {
    if (!Object.isFrozen(n))
      return fail("invalid_graph", n.op, "node is not frozen; build nodes with applyOp");
    const def = ownValue(table, n.op);
    if (def === undefined) return fail("unknown_op", n.op, "op is not in the op table");
    if (isInputNode(n) && !declared.has(n))
      return fail(
        "invalid_graph",
        "input",
        `input "${String(n.attrs["name"])}" is used but not declared as a graph input; pass it to the graph's inputs`,
        [n.shape],
      );
    return pipe(
      def.infer(n.inputs, n.attrs),
      E.chain((t) =>
        t.dtype === n.dtype && t.shape.join() === n.shape.join()
          ? E.right(n)
          : fail(
              "invalid_graph",
              n.op,
              `stored type ${formatType(n)} differs from inferred ${formatType(t)}`,
              [n.shape, t.shape],
            ),
      ),
    );
  };

/**
 * Checks a graph's invariants: every op is known, every node's stored type is what its rule
 * infers from its inputs, nodes are frozen, and every `input` node is a declared graph input.
 */
export const validateGraph = (table: OpTable, g: Graph): E.Either<LoomError, Graph> =>
  pipe(
    E.traverseArray(checkInput)(Object.entries(g.inputs)),
    E.chain((inputs) => E.traverseArray(checkNode(table, new Set(inputs)))(topoOrder(g))),
    E.map(() => g),
  );

/** The validator as a pass (identity on valid graphs). */
export const validatePass = (table: OpTable): Pass => ({
  name: "validate",
  run: (g) => validateGraph(table, g),
});
