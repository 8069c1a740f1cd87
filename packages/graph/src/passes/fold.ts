import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { ALU_JS, castNumber } from "../alu-semantics";
import type { Expr } from "../expr";
import type { Graph } from "../graph";
import { applyOp, rebuild, sameInputs } from "../graph";
import { nodeExpr } from "../lower/unfused";
import type { Node } from "../node";
import type { OpTable } from "../op-def";
import { isConcrete, numel } from "../shape";
import type { Pass } from "./pass";
import { constantData, isConstantNode } from "../sources";
import { ownValue } from "../own";

/** Results up to this many elements are folded element by element; splats fold at any size. */
export const FOLD_MAX_ELEMENTS = 4096;

/** The most scalar evaluations (elements times reduction extent) one fold may cost. */
export const FOLD_MAX_WORK = 1 << 22;

/** What a constant-index expression reads: the output multi-index and the input buffers. */
export interface FoldEnv {
  readonly idx: readonly number[];
  /** Element `at` (row-major) of input `input`, already converted to its dtype. */
  readonly load: (input: number, at: number) => number;
}

/**
 * Evaluates a kernel-IR expression at one concrete output index, with the same ALU table
 * and the same reduction order as the reference interpreter, so a folded constant holds
 * exactly the bits the unfolded kernel would have computed.
 */
export const evalExpr = (e: Expr, env: FoldEnv, vars: number[] = []): number => {
  switch (e.kind) {
    case "const":
      return e.value;
    case "index":
      return env.idx[e.axis]!;
    case "var":
      return vars[e.id]!;
    case "load":
      return env.load(e.input, evalExpr(e.at, env, vars));
    case "alu": {
      const args = e.args.map((a) => evalExpr(a, env, vars));
      return ALU_JS[e.op](args, e.dtype, e.args[0]?.dtype ?? e.dtype);
    }
    case "reduce": {
      const isMax = e.op === "max";
      const loop = (depth: number, acc: number): number => {
        if (depth === e.vars.length) {
          const v = evalExpr(e.body, env, vars);
          return isMax ? (v > acc || Number.isNaN(v) ? v : acc) : acc + v;
        }
        const { id, extent } = e.vars[depth]!;
        for (let i = 0; i < extent; i++) {
          vars[id] = i;
          acc = loop(depth + 1, acc);
        }
        return acc;
      };
      return loop(0, isMax ? -Infinity : 0);
    }
  }
};

/** The value of every element of a node, when it is a constant whose elements are all equal (a splat). */
export const splatValue = (n: Node): number | undefined => {
  if (isConstantNode(n)) {
    const data = constantData(n);
    const v = data[0];
    if (v === undefined || data.some((x) => !Object.is(x, v))) return undefined;
    return castNumber(v, "float64", n.dtype);
  }
  // Views that only replicate or rearrange elements keep a splat a splat.
  if ((n.op === "broadcast" || n.op === "reshape") && n.inputs.length === 1) {
    return splatValue(n.inputs[0]!);
  }
  return undefined;
};

/** Element `at` of a constant node as the interpreter would store it (a one-value constant is a splat). */
const constantAt = (n: Node, at: number): number => {
  const data = constantData(n);
  const v = data.length === 1 ? data[0] : data[at];
  return castNumber(v ?? 0, "float64", n.dtype);
};

const isSplat = (n: Node): boolean => constantData(n).length === 1;

/**
 * True when an expression may differ between output elements: it reads the output index,
 * a loop variable, or a constant that is not a splat.
 */
const varies = (e: Expr, splat: readonly boolean[]): boolean => {
  switch (e.kind) {
    case "const":
      return false;
    case "index":
    case "var":
      return true;
    case "load":
      return !splat[e.input];
    case "alu":
      return e.args.some((a) => varies(a, splat));
    case "reduce":
      return varies(e.body, splat);
  }
};

/** The number of scalar evaluations of one output element: the product of reduction extents. */
const reduceWork = (e: Expr): number => {
  switch (e.kind) {
    case "load":
      return reduceWork(e.at);
    case "alu":
      return e.args.reduce((w, a) => w + reduceWork(a), 1);
    case "reduce":
      return e.vars.reduce((p, v) => p * v.extent, 1) * reduceWork(e.body);
    default:
      return 1;
  }
};

/**
 * A reduction of one repeated value over too many elements to loop over: `count * v` for a
 * sum (equal to the loop for the integer-valued counts this exists for), `v` for a max.
 */
const bigSplatReduce = (e: Expr & { kind: "reduce" }, env: FoldEnv): number => {
  const v = evalExpr(
    e.body,
    env,
    e.vars.map(() => 0),
  );
  const count = e.vars.reduce((p, x) => p * x.extent, 1);
  return e.op === "sum" ? v * count : v;
};

/** The row-major multi-index of a flat offset in a shape with no zero dims. */
const unflatten = (flat: number, shape: readonly number[], out: number[]): number[] => {
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return out;
};

/**
 * The folded values of a node whose inputs are all constants, or undefined when it cannot
 * or should not be folded: library ops, symbolic shapes, results too large to embed, or a
 * non-finite value (constant data must stay JSON).
 */
export const foldValues = (table: OpTable, n: Node): number[] | undefined => {
  const def = ownValue(table, n.op);
  if (def === undefined || n.inputs.length === 0) return undefined;
  if (!n.inputs.every(isConstantNode)) return undefined;
  if (!isConcrete(n.shape) || !n.inputs.every((i) => isConcrete(i.shape))) return undefined;
  const expr = nodeExpr(def, n);
  if (expr === undefined) return undefined;
  const env: FoldEnv = { idx: [], load: (k, at) => constantAt(n.inputs[k]!, at) };
  const store = (v: number) => castNumber(v, n.dtype, n.dtype);
  const shape = n.shape;
  const size = numel(shape);
  const work = reduceWork(expr);
  let data: number[];
  if (!varies(expr, n.inputs.map(isSplat)) && size > 0) {
    const at = { ...env, idx: shape.map(() => 0) };
    if (work <= FOLD_MAX_WORK) data = [store(evalExpr(expr, at))];
    else if (expr.kind === "reduce") data = [store(bigSplatReduce(expr, at))];
    else return undefined;
  } else {
    if (size > FOLD_MAX_ELEMENTS || size * work > FOLD_MAX_WORK || size === 0) return undefined;
    const idx = shape.map(() => 0);
    data = Array.from({ length: size }, (_, flat) =>
      store(evalExpr(expr, { ...env, idx: unflatten(flat, shape, idx) })),
    );
  }
  if (!data.every(Number.isFinite)) return undefined;
  const first = data[0]!;
  return data.every((v) => Object.is(v, first)) ? [first] : data;
};

/**
 * Constant folding: a node (elementwise, movement or reduction) whose inputs are all
 * constants becomes a constant, computed by its own kernel expression over the same ALU
 * semantics as the backends. Splats stay splats whatever their shape, so that counts such as
 * `sum(broadcast(1, [N]))` become constants once N is bound. Source nodes (inputs, iota) and
 * library ops are left alone.
 */
export const foldConstants = (table: OpTable): Pass => ({
  name: "fold-constants",
  run: (g: Graph) =>
    rebuild(g, (n, inputs) =>
      pipe(
        sameInputs(inputs, n.inputs) ? E.right(n) : applyOp(table, n.op, inputs, n.attrs),
        E.map((cur) => {
          const data = foldValues(table, cur);
          // A constant the rule refuses (none should) leaves the node unfolded.
          return data === undefined
            ? cur
            : pipe(
                applyOp(table, "constant", [], { data, shape: [...cur.shape], dtype: cur.dtype }),
                E.getOrElse(() => cur),
              );
        }),
      ),
    ),
});
