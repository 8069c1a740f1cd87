import { DTYPE_BYTES, DTYPE_SHORT } from "../dtype";
import type { Expr } from "../expr";
import { libraryCallParams } from "../library-call";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { formatShape } from "../shape";
import { formatAttrs } from "./text";

const INFIX: Readonly<Record<string, string>> = {
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
  mod: "%",
  eq: "==",
  ne: "!=",
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  and: "&",
  or: "|",
  xor: "^",
  shl: "<<",
  shr: ">>>",
};

/** A kernel-IR expression in a compact infix form: `exp(in0[i0*10 + i1] - in1[i0])`. */
export const printExpr = (e: Expr): string => {
  switch (e.kind) {
    case "const":
      return String(e.value);
    case "index":
      return `i${e.axis}`;
    case "var":
      return `r${e.id}`;
    case "load":
      return `in${e.input}[${printExpr(e.at)}]`;
    case "reduce":
      return `${e.op}(${e.vars.map((v) => `r${v.id}<${v.extent}`).join(", ")}; ${printExpr(e.body)})`;
    case "alu": {
      const a = e.args.map(printExpr);
      const op = INFIX[e.op];
      if (op !== undefined) return `(${a[0]} ${op} ${a[1]})`;
      if (e.op === "where") return `(${a[0]} ? ${a[1]} : ${a[2]})`;
      if (e.op === "cast") return `${DTYPE_SHORT[e.dtype]}(${a[0]})`;
      return `${e.op}(${a.join(", ")})`;
    }
  }
};

const type = (b: BufferInfo) => `${DTYPE_SHORT[b.dtype]}${formatShape(b.shape)}`;

/** One line per kernel: what it computes, from which buffers, and which graph nodes it fused. */
export const printKernel = (plan: Plan, k: Kernel, i: number): string => {
  const ins = k.inputs.map((b) => `b${b}`).join(", ");
  const out = plan.buffers[k.out]!;
  const nodes = `  # nodes ${k.nodes.map((n) => `%${n}`).join(" ")}`;
  if (k.kind === "library") {
    const epi = k.epilogue
      ? ` then ${printExpr(k.epilogue.expr).replace(/in0\[[^\]]*\]/g, "acc")}${k.epilogue.inputs.length ? ` with ${k.epilogue.inputs.map((b) => `b${b}`).join(", ")}` : ""}`
      : "";
    return `  k${i}: b${k.out} = ${k.call.kind}(${ins})${formatAttrs(libraryCallParams(k.call))}${epi} : ${type(out)}${nodes}`;
  }
  return `  k${i}: b${k.out} = [${ins}] ${printExpr(k.expr)} : ${type(out)}${nodes}`;
};

/** A plan as text: its buffers (with arena slots when planned) and its kernels in order. */
export const printPlan = (plan: Plan): string => {
  const names = new Map<number, string>();
  for (const [n, b] of Object.entries(plan.inputs)) names.set(b, `input ${JSON.stringify(n)}`);
  for (const [n, b] of Object.entries(plan.outputs))
    names.set(b, `${names.has(b) ? `${names.get(b)}, ` : ""}output ${JSON.stringify(n)}`);
  const bufs = plan.buffers.map((b) => {
    const bytes = b.shape.reduce((p, d) => p * d, 1) * DTYPE_BYTES[b.dtype];
    const slot = b.slot === undefined ? "" : ` @${b.slot}`;
    return `  b${b.id}: ${type(b)} ${b.kind}${names.has(b.id) ? ` (${names.get(b.id)})` : ""} ${bytes} B${slot}`;
  });
  const arena = plan.arenaBytes === undefined ? "" : `, arena ${plan.arenaBytes} B`;
  return [
    `plan: ${plan.kernels.length} kernels, ${plan.buffers.length} buffers${arena}`,
    "buffers:",
    ...bufs,
    "kernels:",
    ...plan.kernels.map((k, i) => printKernel(plan, k, i)),
  ].join("\n");
};
