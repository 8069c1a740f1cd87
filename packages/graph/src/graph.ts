import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { DTYPE_SHORT } from "./dtype";
import type { LoomError } from "./error";
import { fail } from "./error";
import type { Attrs, Node, TensorType } from "./node";
import { freezeNode, inheritedPath, withPath } from "./node";
import type { OpTable } from "./op-def";
import { ownValue } from "./own";
import { formatShape } from "./shape";

/** A graph: named inputs (placeholders) and named outputs; its nodes are those reachable from the outputs. */
export interface Graph {
  readonly inputs: Readonly<Record<string, Node>>;
  readonly outputs: Readonly<Record<string, Node>>;
}

/** Makes a frozen graph. */
export const makeGraph = (
  inputs: Readonly<Record<string, Node>>,
  outputs: Readonly<Record<string, Node>>,
): Graph =>
  Object.freeze({ inputs: Object.freeze({ ...inputs }), outputs: Object.freeze({ ...outputs }) });

/**
 * The nodes of a graph in a deterministic topological order: the graph inputs first (in
 * declaration order), then every node reachable from the outputs, each after its inputs.
 */
export const topoOrder = (g: Graph): Node[] => {
  const seen = new Set<Node>();
  const order: Node[] = [];
  for (const n of Object.values(g.inputs)) {
    if (!seen.has(n)) {
      seen.add(n);
      order.push(n);
    }
  }
  // Iterative post-order DFS: deep graphs (ResNets, long training steps) must not overflow the stack.
  for (const root of Object.values(g.outputs)) {
    if (seen.has(root)) continue;
    const stack: [Node, number][] = [[root, 0]];
    seen.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [n, i] = top;
      if (i < n.inputs.length) {
        top[1] = i + 1;
        const child = n.inputs[i]!;
        if (!seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(n);
      }
    }
  }
  return order;
};

/** Numbers the nodes of a graph in topological order (`%0`, `%1`, ...). */
export const numberNodes = (order: readonly Node[]): Map<Node, number> =>
  new Map(order.map((n, i) => [n, i]));

/** For each node, the nodes that read it (in topological order, once per use). */
export const usersOf = (g: Graph): Map<Node, Node[]> => {
  const users = new Map<Node, Node[]>();
  for (const n of topoOrder(g)) {
    if (!users.has(n)) users.set(n, []);
    for (const inp of n.inputs) users.get(inp)!.push(n);
  }
  return users;
};

/**
 * Builds a node by running its op's type rule: `Right(node)` or `Left(LoomError)` naming the op
 * and the input shapes.
 */
export const applyOp = (
  table: OpTable,
  op: string,
  inputs: readonly Node[],
  attrs: Attrs = {},
): E.Either<LoomError, Node> => {
  const def = ownValue(table, op);
  if (def === undefined) {
    return fail("unknown_op", op, `no such op; known ops: ${Object.keys(table).join(", ")}`);
  }
  return pipe(
    def.infer(inputs, attrs as never),
    E.chain((t) => checkSize(op, t)),
    E.map((t: TensorType) => freezeNode(op, inputs, attrs, { ...t, path: inheritedPath(inputs) })),
  );
};

/**
 * The most elements one tensor may have: typed arrays, and the 32-bit index arithmetic of
 * generated kernels, stop at 2^31-1. Checked when a node is built (and again when shape
 * inference specialises symbolic dims), so a 2^60-element sum is refused at once instead of
 * failing with "Invalid array length" after minutes, or looping for years.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

const checkSize = (op: string, t: TensorType): E.Either<LoomError, TensorType> => {
  const concrete = t.shape.filter((d): d is number => Number.isSafeInteger(d));
  // BigInt: the count is printed exactly even past 2^53.
  const n = concrete.reduce((p, d) => p * BigInt(d), 1n);
  return n <= BigInt(MAX_ELEMENTS)
    ? E.right(t)
    : fail(
        "too_large",
        op,
        `result ${formatType(t)} has ${n.toLocaleString("en-US")} elements, more than the ${MAX_ELEMENTS.toLocaleString("en-US")} a tensor may hold; use smaller shapes or split the work`,
        [t.shape],
      );
};

/**
 * Rebuilds a graph bottom-up: `f` receives each original node and its already rebuilt inputs
 * and returns the replacement. Sharing is preserved (each node is rebuilt once). A new node
 * made for an original takes the original's layer path (provenance survives every pass); a
 * node that already existed (an input returned by an identity) keeps its own.
 */
export const rebuild = (
  g: Graph,
  f: (node: Node, inputs: readonly Node[]) => E.Either<LoomError, Node>,
): E.Either<LoomError, Graph> => {
  const memo = new Map<Node, Node>();
  const old = new Set(topoOrder(g));
  const made = new Map<Node, Node>();
  const carry = (n: Node, r: Node): Node => {
    if (old.has(r)) return r;
    const done = made.get(r);
    if (done !== undefined) return done;
    const out = withPath(r, n.path);
    made.set(r, out).set(out, out);
    return out;
  };
  // traverseArray stops at the first Left; each node's inputs are rebuilt before it (topological order).
  return pipe(
    topoOrder(g),
    E.traverseArray((n) =>
      pipe(
        f(
          n,
          n.inputs.map((i) => memo.get(i)!),
        ),
        E.map((r) => void memo.set(n, carry(n, r))),
      ),
    ),
    E.map(() => {
      const mapRecord = (rec: Readonly<Record<string, Node>>) =>
        Object.fromEntries(Object.entries(rec).map(([k, n]) => [k, memo.get(n)!]));
      return makeGraph(mapRecord(g.inputs), mapRecord(g.outputs));
    }),
  );
};

/** Same inputs (by identity) as before: a rebuilt node keeps the old object when nothing changed. */
export const sameInputs = (a: readonly Node[], b: readonly Node[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** A human-readable type, e.g. `f32[N,10]`. */
export const formatType = (t: TensorType): string => {
  return `${DTYPE_SHORT[t.dtype]}${formatShape(t.shape)}`;
};
