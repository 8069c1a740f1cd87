import type { BufferInfo, Expr, Kernel, LibraryKernel, Plan } from "@loom/graph";
import { linearize, LoomError, outputIndex, rewriteExpr } from "@loom/graph";

/** What one subexpression reads: load count per input slot, and whether it can be stored at the output's index. */
interface Reads {
  readonly slots: Map<number, number>;
  /** No loop variable or reduction inside: its value depends on the output index only. */
  readonly pointwise: boolean;
}

const readsOf = (e: Expr, memo: Map<Expr, Reads>): Reads => {
  const known = memo.get(e);
  if (known !== undefined) return known;
  const slots = new Map<number, number>();
  let pointwise = e.kind !== "var" && e.kind !== "reduce";
  const children =
    e.kind === "load" ? [e.at] : e.kind === "alu" ? e.args : e.kind === "reduce" ? [e.body] : [];
  if (e.kind === "load") slots.set(e.input, 1);
  for (const c of children) {
    const r = readsOf(c, memo);
    pointwise &&= r.pointwise;
    for (const [s, n] of r.slots) slots.set(s, (slots.get(s) ?? 0) + n);
  }
  const r = { slots, pointwise };
  memo.set(e, r);
  return r;
};

const replace = (e: Expr, target: Expr, by: Expr): Expr => {
  if (e === target) return by;
  switch (e.kind) {
    case "load":
      return { ...e, at: replace(e.at, target, by) };
    case "alu":
      return { ...e, args: e.args.map((a) => replace(a, target, by)) };
    case "reduce":
      return { ...e, body: replace(e.body, target, by) };
    default:
      return e;
  }
};

const renumber = (e: Expr, slot: (s: number) => number): Expr =>
  rewriteExpr(e, (n) =>
    n.kind === "load" ? { ...n, input: slot(n.input), at: renumber(n.at, slot) } : undefined,
  );

/**
 * The subexpression whose storing frees the most sampler slots: pointwise (computable at the
 * output index), reading between 2 and `max` slots, most of them read nowhere else in `root`.
 */
const bestSplit = (root: Expr, max: number): Expr | undefined => {
  const memo = new Map<Expr, Reads>();
  const total = readsOf(root, memo).slots;
  let best: Expr | undefined;
  let bestGain = 0;
  for (const [e, r] of memo) {
    if (e === root || !r.pointwise || r.slots.size < 2 || r.slots.size > max) continue;
    const exclusive = [...r.slots].filter(([s, n]) => total.get(s) === n).length;
    if (exclusive - 1 > bestGain) [best, bestGain] = [e, exclusive - 1];
  }
  return best;
};

/** Where `narrow` puts what it splits off, and how many textures a shader may sample. */
interface Sink {
  readonly buffers: BufferInfo[];
  readonly kernels: Kernel[];
  readonly max: number;
}

/**
 * Rewrites `expr` (reading `inputs[k]` as load k) until it reads at most `sink.max` buffers,
 * by moving pointwise subexpressions into kernels of their own (appended to `sink.kernels`,
 * writing new temporaries of `shape`).
 */
const narrow = (
  expr: Expr,
  inputs: readonly number[],
  shape: readonly number[],
  nodes: readonly number[],
  sink: Sink,
): { expr: Expr; inputs: number[] } => {
  let e = expr;
  let ins = [...inputs];
  const count = () => readsOf(e, new Map()).slots.size;
  while (count() > sink.max) {
    const sub = bestSplit(e, sink.max);
    if (sub === undefined)
      throw new LoomError(
        "unsupported",
        "kernel",
        `a kernel (graph nodes ${nodes.join(",")}) reads ${count()} buffers, more than the ${sink.max} textures a WebGL shader may sample here, and they cannot be split off (they are read inside a reduction loop); use the CPU backend`,
      );
    const used = [...readsOf(sub, new Map()).slots.keys()].sort((a, b) => a - b);
    const out = sink.buffers.length;
    sink.buffers.push({ id: out, shape, dtype: sub.dtype, kind: "temp" });
    sink.kernels.push({
      kind: "expr",
      out,
      inputs: used.map((s) => ins[s]!),
      shape,
      expr: renumber(sub, (s) => used.indexOf(s)),
      nodes,
    });
    const at = linearize(outputIndex(shape.length), shape);
    e = replace(e, sub, { kind: "load", input: ins.length, at, dtype: sub.dtype });
    ins = [...ins, out];
    // Renumber the slots still read.
    const live = [...readsOf(e, new Map()).slots.keys()];
    const keep = ins.map((_, s) => s).filter((s) => live.includes(s));
    const pos = new Map(keep.map((s, j) => [s, j]));
    e = renumber(e, (s) => pos.get(s)!);
    ins = keep.map((s) => ins[s]!);
  }
  return { expr: e, inputs: ins };
};

/**
 * Splits kernels that read more buffers than a fragment shader may sample (a sum of many
 * per-parameter reductions in a global-norm clip, a concat of many tensors, an epilogue adding
 * many tensors): each pointwise part reading many buffers becomes a kernel of its own, writing
 * a temporary of the kernel's shape, in the original evaluation order (float results do not
 * change). A plan that needs no split is returned as it is. Loads inside a reduction's loop
 * cannot move; a kernel that still reads too much is a LoomError.
 */
export const splitWideKernels = (plan: Plan, max: number): Plan => {
  const reads = (k: Kernel) =>
    k.inputs.length + (k.kind === "library" ? (k.epilogue?.inputs.length ?? 0) : 0);
  if (plan.kernels.every((k) => reads(k) <= max)) return plan;
  const sink: Sink = { buffers: [...plan.buffers], kernels: [], max };
  for (const k of plan.kernels) {
    if (reads(k) <= max) sink.kernels.push(k);
    else if (k.kind === "expr") {
      const r = narrow(k.expr, k.inputs, k.shape, k.nodes, sink);
      sink.kernels.push({ ...k, expr: r.expr, inputs: r.inputs });
    } else {
      // A wide epilogue is unfused: the op stores its accumulator (load 0 of the epilogue),
      // and the epilogue becomes an expression kernel that can be split like any other.
      const epi = k.epilogue!;
      const acc = sink.buffers.length;
      sink.buffers.push({ ...plan.buffers[k.out]!, id: acc, kind: "temp" });
      const { epilogue: _, ...op } = k;
      sink.kernels.push({ ...op, out: acc } satisfies LibraryKernel);
      const r = narrow(epi.expr, [acc, ...epi.inputs], k.shape, k.nodes, sink);
      sink.kernels.push({
        kind: "expr",
        out: k.out,
        inputs: r.inputs,
        shape: k.shape,
        expr: r.expr,
        nodes: k.nodes,
      });
    }
  }
  return { ...plan, buffers: sink.buffers, kernels: sink.kernels };
};
