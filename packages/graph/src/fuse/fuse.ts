import * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Expr } from "../expr";
import { linearize } from "../expr";
import type { Graph } from "../graph";
import { numberNodes, topoOrder } from "../graph";
import { outputIndex, reduceIndex } from "../lower/unfused";
import type { Node } from "../node";
import type { OpTable } from "../op-def";
import type { BufferInfo, ExprKernel, Kernel, LibraryKernel, Plan } from "../plan";
import { formatShape, isConcrete } from "../shape";
import { simplifyIndex } from "./index-simplify";

/** Switches of the fusion pass, for inspection and for testing it against the unfused lowering. */
export interface FusionOptions {
  /** Fuse elementwise consumers into matmul/conv outputs (default true). */
  readonly epilogues?: boolean;
  /** Read a transposed matmul operand through `transA`/`transB` instead of copying it (default true). */
  readonly foldTransposes?: boolean;
}

/** The first non-reshape node under a chain of reshapes. */
const baseOfReshapes = (n: Node): Node => (n.op === "reshape" ? baseOfReshapes(n.inputs[0]!) : n);

const isSplat = (n: Node) =>
  n.op === "constant" && (n.attrs["data"] as readonly number[]).length === 1;

/** True for a transpose that swaps the last two axes only: a matmul reads it with a flag. */
const isLastTwoSwap = (n: Node): boolean => {
  if (n.op !== "transpose") return false;
  const perm = n.attrs["perm"] as readonly number[];
  const r = perm.length;
  return (
    r >= 2 && perm.every((p, i) => (i < r - 2 ? p === i : i === r - 2 ? p === r - 1 : p === r - 2))
  );
};

/**
 * Fusion and lowering: partitions a graph with concrete shapes into kernels of the kernel IR
 * and returns the plan. A node gets a buffer of its own when it is a graph output, a library
 * op, a reduction, read by a library op, or read by more than one kernel other than
 * reductions (unless it is a cheap view of a buffer); everything else is inlined into the
 * expression of the kernel that reads it: chains of elementwise ops become one loop, movement
 * ops become index arithmetic, a reduction's elementwise prologue becomes its loop body, and
 * (with `epilogues`) an elementwise consumer of a matmul or convolution becomes that kernel's
 * epilogue.
 */
export const lowerFused = (
  table: OpTable,
  g: Graph,
  opts: FusionOptions = {},
): E.Either<LoomError, Plan> => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const outputs = new Set(Object.values(g.outputs));
  const uses = new Map<Node, number>();
  const readByLibrary = new Map<Node, boolean>();
  for (const n of order) {
    if (!isConcrete(n.shape)) {
      return fail(
        "unsupported",
        n.op,
        `shape ${formatShape(n.shape)} still has symbolic dims; specialise shapes before fusion`,
        [n.shape],
      );
    }
    const def = table[n.op];
    if (def === undefined) return fail("unknown_op", n.op, "op is not in the op table");
    for (const i of n.inputs) {
      // A reduction recomputes what it reads in its own loop, so a value read by a reduction
      // and by one other kernel is computed in both rather than stored (softmax's exp).
      if (def.fusion !== "reduce") uses.set(i, (uses.get(i) ?? 0) + 1);
      if (
        def.fusion === "library" &&
        !(n.op === "matmul" && opts.foldTransposes !== false && isLastTwoSwap(i)) &&
        i.op !== "reshape"
      ) {
        readByLibrary.set(i, true);
      }
    }
  }
  // Decide which nodes own a buffer, inputs before users.
  const buffered = new Set<Node>();
  // A cheap view reads one buffer once: a view of several inputs (concat) read more than once
  // is stored, or nested concats of shared values would grow expressions exponentially.
  const viewOfBuffer = (n: Node): boolean =>
    buffered.has(n) ||
    isSplat(n) ||
    (table[n.op]!.fusion === "movement" && n.inputs.length === 1 && viewOfBuffer(n.inputs[0]!));
  for (const n of order) {
    const fusion = table[n.op]!.fusion;
    const own =
      n.op === "input" ||
      (n.op === "constant" && (!isSplat(n) || outputs.has(n))) ||
      fusion === "library" ||
      fusion === "reduce" ||
      outputs.has(n) ||
      readByLibrary.has(n) ||
      ((uses.get(n) ?? 0) > 1 &&
        !isSplat(n) &&
        !(fusion === "movement" && viewOfBuffer(n)) &&
        n.op !== "iota");
    if (own) buffered.add(n);
  }
  // Library operands read in place: a folded transpose's input, or a reshape's (a reshape of a
  // contiguous buffer is the same bytes), must then be a buffer itself.
  for (const n of order) {
    if (table[n.op]!.fusion !== "library") continue;
    for (const i of n.inputs) {
      const inPlace =
        (n.op === "matmul" && opts.foldTransposes !== false && isLastTwoSwap(i)) ||
        i.op === "reshape";
      if (inPlace && !buffered.has(i))
        buffered.add(baseOfReshapes(i.op === "reshape" ? i : i.inputs[0]!));
    }
  }

  const buffers: BufferInfo[] = [];
  const bufOf = new Map<Node, number>();
  for (const n of order) {
    if (!buffered.has(n)) continue;
    const id = buffers.length;
    bufOf.set(n, id);
    const shape = n.shape as readonly number[];
    if (n.op === "input") buffers.push({ id, shape, dtype: n.dtype, kind: "input" });
    else if (n.op === "constant")
      buffers.push({
        id,
        shape,
        dtype: n.dtype,
        kind: "constant",
        data: n.attrs["data"] as number[],
      });
    else buffers.push({ id, shape, dtype: n.dtype, kind: "temp" });
  }

  const kernels: Kernel[] = [];
  for (const root of order) {
    if (!buffered.has(root) || root.op === "input" || root.op === "constant") continue;
    const def = table[root.op]!;
    const out = bufOf.get(root)!;
    const shape = root.shape as readonly number[];
    if (def.fusion === "library") {
      const attrs: Record<string, unknown> = { ...root.attrs };
      let reshaped = false;
      const inputs = root.inputs.map((i, k) => {
        if (buffered.has(i)) return bufOf.get(i)!;
        if (i.op === "reshape") {
          reshaped = true;
          return bufOf.get(baseOfReshapes(i))!;
        }
        attrs[k === 0 ? "transA" : "transB"] = true;
        if (i.inputs[0]!.op === "reshape" && !buffered.has(i.inputs[0]!)) reshaped = true;
        return bufOf.get(buffered.has(i.inputs[0]!) ? i.inputs[0]! : baseOfReshapes(i.inputs[0]!))!;
      });
      const inputShapes = root.inputs.map(
        (i) => (isLastTwoSwap(i) && !buffered.has(i) ? i.inputs[0]! : i).shape as number[],
      );
      kernels.push({
        kind: "library",
        name: root.op,
        out,
        inputs,
        attrs: attrs as LibraryKernel["attrs"],
        shape,
        ...(reshaped ? { inputShapes } : {}),
        ...(def.overwrites !== undefined ? { overwrites: def.overwrites } : {}),
        nodes: [ids.get(root)!],
      });
      continue;
    }
    // An expression kernel: inline everything that has no buffer.
    const inputs: number[] = [];
    const slot = (b: number) => {
      const k = inputs.indexOf(b);
      if (k >= 0) return k;
      inputs.push(b);
      return inputs.length - 1;
    };
    const nodes = new Set<number>([ids.get(root)!]);
    let nextVar = 0;
    const exprOf = (n: Node, idx: readonly Expr[], isRoot: boolean): Expr => {
      if (!isRoot && buffered.has(n)) {
        return {
          kind: "load",
          input: slot(bufOf.get(n)!),
          at: linearize(idx, n.shape as number[]),
          dtype: n.dtype,
        };
      }
      if (isSplat(n))
        return { kind: "const", value: (n.attrs["data"] as number[])[0]!, dtype: n.dtype };
      nodes.add(ids.get(n)!);
      const d = table[n.op]!;
      const ins = n.inputs as (Node & { shape: readonly number[] })[];
      const me = n as Node & { shape: readonly number[] };
      switch (d.fusion) {
        case "elementwise":
          return d.scalar(
            ins.map((i) => exprOf(i, idx, false)),
            { attrs: n.attrs, out: me, inputs: ins, idx },
          );
        case "movement":
          return d.gather({
            attrs: n.attrs,
            out: me,
            inputs: ins,
            idx,
            read: (k, at) => exprOf(ins[k]!, at, false),
          });
        case "reduce": {
          const x = ins[0]!;
          const { vars, inIdx } = reduceIndex(n, x.shape, idx, () => nextVar++);
          return {
            kind: "reduce",
            op: d.reduceOp,
            vars,
            body: exprOf(x, inIdx, false),
            dtype: n.dtype,
          };
        }
        default:
          throw new Error(`fusion: ${n.op} cannot be inlined`);
      }
    };
    let expr: Expr;
    try {
      expr = exprOf(root, outputIndex(shape.length), true);
    } catch (e) {
      return fail("unsupported", root.op, (e as Error).message);
    }
    expr = simplifyIndex(expr, { axes: shape, vars: new Map() });
    kernels.push({
      kind: "expr",
      out,
      inputs,
      shape,
      expr,
      nodes: [...nodes].sort((a, b) => a - b),
    });
  }
  const plan: Plan = {
    buffers,
    kernels,
    inputs: Object.fromEntries(Object.entries(g.inputs).map(([k, n]) => [k, bufOf.get(n)!])),
    outputs: Object.fromEntries(Object.entries(g.outputs).map(([k, n]) => [k, bufOf.get(n)!])),
  };
  return E.right(opts.epilogues === false ? compactBuffers(plan) : fuseEpilogues(plan));
};

const sameExpr = (a: Expr, b: Expr) => JSON.stringify(a) === JSON.stringify(b);

/** Renumbers the loads of an expression. */
const mapLoads = (e: Expr, f: (input: number) => number): Expr => {
  switch (e.kind) {
    case "load":
      return { ...e, input: f(e.input), at: mapLoads(e.at, f) };
    case "alu":
      return { ...e, args: e.args.map((a) => mapLoads(a, f)) };
    case "reduce":
      return { ...e, body: mapLoads(e.body, f) };
    default:
      return e;
  }
};

/** Every load of an expression, with its input slot and index. */
const loadsOf = (e: Expr, acc: Extract<Expr, { kind: "load" }>[] = []) => {
  if (e.kind === "load") {
    acc.push(e);
    loadsOf(e.at, acc);
  } else if (e.kind === "alu") e.args.forEach((a) => loadsOf(a, acc));
  else if (e.kind === "reduce") loadsOf(e.body, acc);
  return acc;
};

/**
 * Merges an elementwise kernel into the library kernel whose output it alone reads, at its own
 * index: the library kernel then writes the consumer's buffer, applying the consumer's
 * expression (`load 0` = the accumulated value) to each element. The intermediate buffer is gone.
 */
export const fuseEpilogues = (plan: Plan): Plan => {
  const readers = new Map<number, number>();
  const outputs = new Set(Object.values(plan.outputs));
  for (const k of plan.kernels) {
    const ins = new Set([
      ...k.inputs,
      ...(k.kind === "library" && k.epilogue ? k.epilogue.inputs : []),
    ]);
    for (const b of ins) readers.set(b, (readers.get(b) ?? 0) + 1);
  }
  let kernels = [...plan.kernels];
  for (let i = 0; i < kernels.length; i++) {
    const k = kernels[i]!;
    if (k.kind !== "expr") continue;
    const producerAt = kernels.findIndex(
      (p, j) =>
        j < i &&
        p.kind === "library" &&
        p.epilogue === undefined &&
        k.inputs.includes(p.out) &&
        readers.get(p.out) === 1 &&
        !outputs.has(p.out) &&
        plan.buffers[p.out]!.dtype === plan.buffers[k.out]!.dtype &&
        plan.buffers[p.out]!.shape.join() === k.shape.join(),
    );
    if (producerAt < 0) continue;
    const p = kernels[producerAt] as LibraryKernel;
    const slot = k.inputs.indexOf(p.out);
    const identity = simplifyIndex(linearize(outputIndex(k.shape.length), k.shape as number[]), {
      axes: k.shape,
      vars: new Map(),
    });
    const loads = loadsOf(k.expr).filter((l) => l.input === slot);
    if (k.expr.kind === "reduce" || !loads.every((l) => sameExpr(l.at, identity))) continue;
    const others = k.inputs.filter((_, j) => j !== slot);
    const epilogue = mapLoads(k.expr, (j) => (j === slot ? 0 : others.indexOf(k.inputs[j]!) + 1));
    const merged: LibraryKernel = {
      ...p,
      out: k.out,
      epilogue: { expr: epilogue, inputs: others },
      nodes: [...p.nodes, ...k.nodes].sort((a, b) => a - b),
    };
    kernels[i] = merged;
    kernels = kernels.filter((_, j) => j !== producerAt);
    i--;
  }
  return compactBuffers({ ...plan, kernels });
};

/** Drops buffers that no kernel reads or writes (and are not graph inputs or outputs), renumbering the rest. */
export const compactBuffers = (plan: Plan): Plan => {
  const used = new Set<number>([...Object.values(plan.inputs), ...Object.values(plan.outputs)]);
  for (const k of plan.kernels) {
    used.add(k.out);
    k.inputs.forEach((b) => used.add(b));
    if (k.kind === "library") k.epilogue?.inputs.forEach((b) => used.add(b));
  }
  const renum = new Map<number, number>();
  const buffers = plan.buffers
    .filter((b) => used.has(b.id))
    .map((b, i) => (renum.set(b.id, i), { ...b, id: i }));
  const r = (b: number) => renum.get(b)!;
  const kernels = plan.kernels.map((k): Kernel =>
    k.kind === "expr"
      ? { ...k, out: r(k.out), inputs: k.inputs.map(r) }
      : {
          ...k,
          out: r(k.out),
          inputs: k.inputs.map(r),
          ...(k.epilogue ? { epilogue: { ...k.epilogue, inputs: k.epilogue.inputs.map(r) } } : {}),
        },
  );
  const remap = (rec: Readonly<Record<string, number>>) =>
    Object.fromEntries(Object.entries(rec).map(([n, b]) => [n, r(b)]));
  return { ...plan, buffers, kernels, inputs: remap(plan.inputs), outputs: remap(plan.outputs) };
};

/** Kernels that are expressions, for statistics. */
export const isExprKernel = (k: Kernel): k is ExprKernel => k.kind === "expr";
