import { DTYPE_BYTES } from "../dtype";
import type { Expr } from "../expr";
import { linearize } from "../expr";
import { simplifyIndex } from "../fuse/index-simplify";
import type { Kernel, Plan } from "../plan";
import type { LiveRange } from "./liveness";

/** Structural equality of expressions (they are plain trees of JSON values). */
export const sameExpr = (a: Expr, b: Expr): boolean => {
  if (a.kind !== b.kind || a.dtype !== b.dtype) return false;
  switch (a.kind) {
    case "const":
      return a.value === (b as typeof a).value;
    case "index":
      return a.axis === (b as typeof a).axis;
    case "var":
      return a.id === (b as typeof a).id;
    case "load": {
      const c = b as typeof a;
      return a.input === c.input && sameExpr(a.at, c.at);
    }
    case "alu": {
      const c = b as typeof a;
      return (
        a.op === c.op &&
        a.args.length === c.args.length &&
        a.args.every((x, i) => sameExpr(x, c.args[i]!))
      );
    }
    case "reduce": {
      const c = b as typeof a;
      return (
        a.op === c.op &&
        a.vars.length === c.vars.length &&
        a.vars.every((v, i) => v.id === c.vars[i]!.id && v.extent === c.vars[i]!.extent) &&
        sameExpr(a.body, c.body)
      );
    }
  }
};

/** True when every `load` of one of `slots` in `e` reads at exactly `at`. */
const loadsOnlyAt = (e: Expr, slots: ReadonlySet<number>, at: Expr): boolean => {
  switch (e.kind) {
    case "load":
      return (!slots.has(e.input) || sameExpr(e.at, at)) && loadsOnlyAt(e.at, slots, at);
    case "alu":
      return e.args.every((x) => loadsOnlyAt(x, slots, at));
    case "reduce":
      return loadsOnlyAt(e.body, slots, at);
    default:
      return true;
  }
};

/** The row-major flat index of a kernel's output element, as lowering writes it. */
const flatOutputIndex = (shape: readonly number[]): Expr =>
  simplifyIndex(
    linearize(
      shape.map((_, axis): Expr => ({ kind: "index", axis, dtype: "int32" })),
      shape,
    ),
    { axes: shape, vars: new Map() },
  );

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Whether kernel `k` could write its output over `buffer` wherever `buffer` dies at `k`: the
 * buffer has the output's shape and element size and is a temporary in the arena (not a graph
 * input or output, which live outside it, nor a constant, written once per executable). An
 * expr kernel qualifies when its output element `i` reads `buffer` only at element `i` (each
 * element is read before it is overwritten); a library kernel when its op declares
 * `overwrites` for that input and nothing else of the kernel (another operand, the epilogue)
 * reads the buffer. Independent of the kernel order, so a scheduler can ask it once.
 */
export const inPlaceEligible = (
  plan: Plan,
  k: Kernel,
  buffer: number,
  outside: ReadonlySet<number>,
): boolean => {
  if (buffer === k.out) return false;
  const b = plan.buffers[buffer];
  const o = plan.buffers[k.out];
  if (b === undefined || o === undefined) return false;
  if (b.kind !== "temp" || outside.has(buffer) || outside.has(k.out)) return false;
  if (!sameShape(b.shape, k.shape) || !sameShape(o.shape, k.shape)) return false;
  if (DTYPE_BYTES[b.dtype] !== DTYPE_BYTES[o.dtype]) return false;
  if (k.kind === "library") {
    const at = k.overwrites;
    if (at === undefined || k.inputs[at] !== buffer) return false;
    const others = [...k.inputs.filter((_, j) => j !== at), ...(k.epilogue?.inputs ?? [])];
    return !others.includes(buffer);
  }
  const slots = new Set<number>();
  k.inputs.forEach((id, j) => id === buffer && slots.add(j));
  return slots.size > 0 && loadsOnlyAt(k.expr, slots, flatOutputIndex(k.shape));
};

/** Whether kernel `t` may write its output over `buffer`: eligible, and `buffer` dies there. */
export const canWriteInPlace = (
  plan: Plan,
  t: number,
  buffer: number,
  ranges: readonly LiveRange[],
  outside: ReadonlySet<number>,
): boolean => {
  const k = plan.kernels[t];
  if (k === undefined || ranges[buffer]?.end !== t || ranges[k.out]?.start !== t) return false;
  return inPlaceEligible(plan, k, buffer, outside);
};
