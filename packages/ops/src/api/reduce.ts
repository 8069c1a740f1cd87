import { isFloat } from "@loom/graph";
import type { Tensor } from "../core";
import { prim, scalar } from "../core";
import {
  add,
  bitwiseOr,
  cast,
  div,
  eq,
  exp,
  iota,
  log,
  ne,
  neg,
  select,
  square,
  sub,
} from "./elementwise";
import { normalizeAxes, normalizeAxis, reshape } from "./movement";
import { checkTensor } from "../graph-operand";

/** Which axes a reduction covers: a number, a list (negative allowed), or every axis when omitted. */
export type Axes = number | readonly number[] | undefined;

const axesOf = (op: string, x: Tensor, axes: Axes): number[] => {
  checkTensor(op, x);
  return axes === undefined ? x.shape.map((_, i) => i) : normalizeAxes(op, axes, x.shape);
};

const toFloat = (x: Tensor): Tensor => (isFloat(x.dtype) ? x : cast(x, "float32"));

/** x with the reduced `axes` dropped, for results computed with keepdims. */
const dropAxes = (x: Tensor, axes: readonly number[]): Tensor =>
  reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );

/** Sum over `axes` (all when omitted); bools are counted as int32. */
export const sum = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("sum", x, axes);
  const v = x.dtype === "bool" ? cast(x, "int32") : x;
  return ax.length === 0 ? v : prim("reduce_sum", [v], { axes: ax, keepdims });
};

/** Maximum over `axes` (all when omitted); NaN wins, as in NumPy. */
export const max = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("max", x, axes);
  return ax.length === 0 ? x : prim("reduce_max", [x], { axes: ax, keepdims });
};

/** Minimum over `axes`, as `-max(-x)`: the primitive set has only a max reduction. */
export const min = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("min", x, axes);
  return ax.length === 0 ? x : neg(max(neg(x), ax, keepdims));
};

/**
 * The number of elements that `axes` cover, as a scalar of `dtype`. Symbolic dims are
 * counted by summing ones broadcast to them, so a mean over a batch of unknown size `N`
 * still builds (and simplification folds it once `N` is bound).
 */
const countOf = (x: Tensor, axes: readonly number[]): Tensor | number => {
  let fixed = 1;
  const symbolic = [];
  for (const a of axes) {
    const d = x.shape[a]!;
    if (typeof d === "number") fixed *= d;
    else symbolic.push(d);
  }
  if (symbolic.length === 0) return fixed;
  const ones = prim("broadcast", [scalar(1, x.dtype)], { shape: symbolic });
  const n = prim("reduce_sum", [ones], { axes: symbolic.map((_, i) => i), keepdims: false });
  return fixed === 1 ? n : prim("mul", [n, scalar(fixed, x.dtype)]);
};

/** Arithmetic mean over `axes` (all when omitted); integer inputs are averaged in float32. */
export const mean = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("mean", x, axes);
  const v = toFloat(x);
  return div(sum(v, ax, keepdims), countOf(v, ax));
};

/** Biased variance over `axes` (divides by the count, as batch norm does): the mean squared deviation. */
export const variance = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("variance", x, axes);
  const v = toFloat(x);
  return mean(square(sub(v, mean(v, ax, true))), ax, keepdims);
};

const NO_INDEX = 2147483647;

/**
 * The int32 index of the first maximum along `axis` (default the last), built from
 * primitives: the positions equal to the broadcast maximum keep their iota index, the others
 * get a huge value, and a min-reduction picks the first. A NaN counts as the maximum (NumPy).
 */
export const argmax = (x: Tensor, axis = -1): Tensor => {
  checkTensor("argmax", x);
  const a = normalizeAxis("argmax", axis, x.shape);
  const v = x.dtype === "bool" ? cast(x, "int32") : x;
  const m = max(v, a, true);
  const hit = isFloat(v.dtype) ? bitwiseOr(eq(v, m), ne(v, v)) : eq(v, m);
  const candidates = select(hit, iota(v.shape, a, "int32"), NO_INDEX);
  return min(candidates, a, false);
};

/** The int32 index of the first minimum along `axis` (default the last). */
export const argmin = (x: Tensor, axis = -1): Tensor => {
  checkTensor("argmin", x);
  return argmax(neg(x.dtype === "bool" ? cast(x, "int32") : x), axis);
};

/**
 * `log(sum(exp(x)))` over `axes` with the maximum subtracted first, so inputs of magnitude
 * 1e4 stay finite. A non-finite maximum (a row of -inf, or +inf) is replaced by 0, so such
 * rows give -inf or +inf instead of NaN.
 */
export const logSumExp = (x: Tensor, axes?: Axes, keepdims = false): Tensor => {
  const ax = axesOf("logSumExp", x, axes);
  const v = toFloat(x);
  if (ax.length === 0) return v;
  const m = max(v, ax, true);
  const shift = select(eq(sub(m, m), 0), m, 0);
  const out = add(log(sum(exp(sub(v, shift)), ax, true)), shift);
  return keepdims ? out : dropAxes(out, ax);
};
