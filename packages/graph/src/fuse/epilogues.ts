import { exprKey, linearize, rewriteExpr } from "../expr";
import type { Expr } from "../expr";
import { outputIndex } from "../lower/unfused";
import type { ExprKernel, Kernel, LibraryKernel, Plan } from "../plan";
import { simplifyIndex } from "./index-simplify";

const sameExpr = (a: Expr, b: Expr) => exprKey(a) === exprKey(b);

/** Renumbers the loads of an expression. */
const mapLoads = (e: Expr, f: (input: number) => number): Expr =>
  rewriteExpr(e, (n) =>
    n.kind === "load" ? { ...n, input: f(n.input), at: mapLoads(n.at, f) } : undefined,
  );

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
