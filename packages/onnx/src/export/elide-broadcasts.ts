import type { Dim, Graph, Node } from "@loom/graph";
import { broadcastShapes, topoOrder } from "@loom/graph";

/** The loom ops whose ONNX form broadcasts its operands itself (NumPy's rule, as loom's). */
const SELF_BROADCASTING: Readonly<Record<string, true>> = {
  add: true,
  sub: true,
  mul: true,
  div: true,
  pow: true,
  maximum: true,
  minimum: true,
  eq: true,
  ne: true,
  lt: true,
  le: true,
  gt: true,
  ge: true,
  select: true,
  bitwise_and: true,
  bitwise_or: true,
  bitwise_xor: true,
};

const sameShape = (a: readonly Dim[], b: readonly Dim[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The inputs each node reads, after reading through the broadcasts ONNX does not need. */
export interface BroadcastPlan {
  /** For a node, the node to read at each input position. */
  readonly reads: (n: Node) => readonly Node[];
  /** True for broadcast nodes nothing reads any more: they are not written. */
  readonly dropped: (n: Node) => boolean;
}

/**
 * loom makes broadcasting explicit (a `broadcast` node to `[N, C, H, W]`), which in ONNX would
 * be an Expand whose target shape has to be computed at run time from the batch. Where the
 * consumer is an op that broadcasts by itself and the operands' own shapes broadcast to
 * exactly the consumer's shape, it reads the operands directly instead.
 */
export const planBroadcasts = (g: Graph): BroadcastPlan => {
  const reads = new Map<Node, readonly Node[]>();
  const used = new Set<Node>(Object.values(g.outputs));
  for (const n of topoOrder(g)) {
    let ins = n.inputs;
    if (Object.hasOwn(SELF_BROADCASTING, n.op)) {
      const through = n.inputs.map((x) => (x.op === "broadcast" ? x.inputs[0]! : x));
      const shape = through.reduce<readonly Dim[] | undefined>(
        (s, x) => (s === undefined ? undefined : broadcastShapes(s, x.shape)),
        [],
      );
      if (shape !== undefined && sameShape(shape, n.shape)) ins = through;
    }
    reads.set(n, ins);
    for (const x of ins) used.add(x);
  }
  return {
    reads: (n) => reads.get(n) ?? n.inputs,
    dropped: (n) => n.op === "broadcast" && !used.has(n),
  };
};
