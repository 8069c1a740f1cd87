import * as E from "fp-ts/lib/Either.js";
import { LoomError, orThrow, tryLoom } from "./error";
import { applyOp, formatType, topoOrder, makeGraph } from "./graph";
import type { Node } from "./node";
import { withPath } from "./node";
import type { BuildNode, OpTable } from "./op-def";
import { ownValue } from "./own";

/** The two ops reverse mode needs beyond the VJP rules: accumulation and zeros. Supplied by the op catalogue. */
export interface AdOps {
  /** Sums two cotangents of one node. */
  readonly add: (a: Node, b: Node) => Node;
  /** The zero cotangent of an input the output does not depend on. */
  readonly zerosLike: (x: Node) => Node;
}

/**
 * Reverse-mode differentiation as a graph-to-graph transform: given outputs, their cotangents
 * and the nodes to differentiate with respect to, returns one cotangent node per `wrt` node,
 * built from loom ops by the VJP rules (so the result can be differentiated again).
 *
 * Only nodes on a path from some `wrt` node to some output are visited. A VJP rule that gives
 * no cotangent for an input (comparisons, integer inputs, random bits) contributes nothing: the
 * derivative of a piecewise-constant function is zero there.
 */
export const backprop = (
  table: OpTable,
  ops: AdOps,
  outputs: readonly Node[],
  cts: readonly Node[],
  wrt: readonly Node[],
): E.Either<LoomError, Node[]> =>
  tryLoom(() => {
    // VJP rules build their nodes through the table; a rule's LoomError is caught by tryLoom.
    // Each node a rule builds belongs to the layer of the primal node being differentiated.
    let layer: string | undefined;
    const prim: BuildNode = (op, ins, attrs = {}) =>
      withPath(orThrow(applyOp(table, op, ins, attrs)), layer);
    const order = topoOrder(
      makeGraph({}, Object.fromEntries(outputs.map((o, i) => [String(i), o]))),
    );
    // Forward reachability from wrt: only these nodes can carry a gradient.
    const live = new Set<Node>(wrt);
    for (const n of order) if (n.inputs.some((i) => live.has(i))) live.add(n);
    const acc = new Map<Node, Node>();
    const accumulate = (n: Node, ct: Node) => {
      if (ct.dtype !== n.dtype || ct.shape.join() !== n.shape.join()) {
        throw new LoomError(
          "invalid_graph",
          "autodiff",
          `cotangent ${formatType(ct)} does not match its primal ${n.op}: ${formatType(n)} (a VJP rule is wrong)`,
          [n.shape, ct.shape],
        );
      }
      const prev = acc.get(n);
      acc.set(n, prev === undefined ? ct : ops.add(prev, ct));
    };
    outputs.forEach((o, i) => {
      if (live.has(o)) accumulate(o, cts[i]!);
    });
    const wrtSet = new Set(wrt);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i]!;
      const ct = acc.get(n);
      if (ct === undefined || n.inputs.length === 0) continue;
      if (wrtSet.has(n) && !n.inputs.some((x) => live.has(x))) continue;
      const def = ownValue(table, n.op);
      if (def === undefined) throw new LoomError("unknown_op", n.op, "op is not in the op table");
      layer = n.path;
      const inCts = def.vjp({ inputs: n.inputs, out: n, attrs: n.attrs, ct, prim });
      n.inputs.forEach((inp, k) => {
        const c = inCts[k];
        if (c !== undefined && live.has(inp)) accumulate(inp, c);
      });
    }
    return wrt.map((w) => acc.get(w) ?? ops.zerosLike(w));
  });
