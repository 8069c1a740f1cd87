import type { Dim, Shape } from "@loom/graph";
import { formatShape, LoomError, shapeEq, symbolicSize } from "@loom/graph";
import type { Tensor } from "../core";
import { badArgument, isTensor, prim } from "../core";
import { checkTensor } from "../graph-operand";

/** Normalises a possibly negative axis of a rank-`rank` tensor, or throws naming the op and shape. */
export const normalizeAxis = (
  op: string,
  axis: number,
  shape: Shape,
  rank = shape.length,
): number => {
  const a = Number.isInteger(axis) && axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    badArgument(
      op,
      `axis ${axis} is out of range for ${formatShape(shape)} (valid: ${-rank}..${rank - 1})`,
      [shape],
    );
  }
  return a;
};

/** Normalises a list of distinct, possibly negative axes, or throws. */
export const normalizeAxes = (
  op: string,
  axes: number | readonly number[],
  shape: Shape,
): number[] => {
  const list = typeof axes === "number" ? [axes] : axes;
  if (!Array.isArray(list))
    badArgument(op, `axes must be a number or an array of numbers, got ${String(axes)}`, [shape]);
  const norm = list.map((a) => normalizeAxis(op, a, shape));
  if (new Set(norm).size !== norm.length) {
    badArgument(op, `axes ${JSON.stringify(list)} name an axis of ${formatShape(shape)} twice`, [
      shape,
    ]);
  }
  return norm;
};

const isDimSpec = (d: unknown): d is Dim =>
  (typeof d === "number" && Number.isInteger(d) && d >= -1) ||
  (typeof d === "string" && d.length > 0);

/** Solves `-1` in a reshape target from the element count of `from`, symbols included. */
const inferMinusOne = (from: Shape, target: readonly Dim[]): Dim => {
  const fail = (why: string) => {
    throw new LoomError(
      why === "unsupported" ? "unsupported" : "shape_mismatch",
      "reshape",
      `cannot reshape ${formatShape(from)} to ${formatShape(target)}: ${why === "unsupported" ? "the -1 would be a product of symbols or of a symbol and a number; spell the target out" : why}`,
      [from, target],
    );
  };
  const have = symbolicSize(from);
  const known = symbolicSize(target.filter((d) => d !== -1));
  const left = [...have.symbols];
  for (const s of known.symbols) {
    const i = left.indexOf(s);
    if (i < 0) fail(`symbol ${s} is not a dim of the input`);
    left.splice(i, 1);
  }
  if (known.factor === 0) fail("the -1 is ambiguous next to a zero dim");
  if (have.factor % known.factor !== 0) fail("element counts do not divide");
  const q = have.factor / known.factor;
  if (left.length === 0) return q;
  if (left.length === 1 && q === 1) return left[0]!;
  return fail("unsupported");
};

/**
 * The same elements in row-major order under a new shape. One dim may be -1 (inferred from
 * the element count); dims may be symbols, so `reshape(x, ["N", -1])` flattens a batch.
 */
export const reshape = (x: Tensor, shape: readonly Dim[]): Tensor => {
  checkTensor("reshape", x);
  if (!Array.isArray(shape) || !shape.every(isDimSpec)) {
    badArgument(
      "reshape",
      `target ${JSON.stringify(shape)} must list non-negative integers, symbols or one -1`,
      [x.shape],
    );
  }
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1)
    badArgument("reshape", `target ${formatShape(shape)} has more than one -1`, [x.shape, shape]);
  const target =
    holes === 1 ? shape.map((d) => (d === -1 ? inferMinusOne(x.shape, shape) : d)) : [...shape];
  return shapeEq(target, x.shape) ? x : prim("reshape", [x], { shape: target });
};

/** Permutes axes; `perm` defaults to reversing them (a matrix transpose for rank 2). Negative axes allowed. */
export const transpose = (x: Tensor, perm?: readonly number[]): Tensor => {
  checkTensor("transpose", x);
  const rank = x.shape.length;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (!Array.isArray(p) || p.length !== rank) {
    badArgument(
      "transpose",
      `perm ${JSON.stringify(perm)} must list each of the ${rank} axes of ${formatShape(x.shape)} once`,
      [x.shape],
    );
  }
  const norm = normalizeAxes("transpose", p, x.shape);
  return norm.every((a, i) => a === i) ? x : prim("transpose", [x], { perm: norm });
};

/** Exchanges two axes (negative axes allowed). */
export const swapAxes = (x: Tensor, a: number, b: number): Tensor => {
  checkTensor("swapAxes", x);
  const i = normalizeAxis("swapAxes", a, x.shape);
  const j = normalizeAxis("swapAxes", b, x.shape);
  const perm = x.shape.map((_, k) => (k === i ? j : k === j ? i : k));
  return transpose(x, perm);
};

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * A strided window, NumPy-style: per axis, `begin` (default 0) and `end` (default the dim;
 * `null` too) may be negative, counting from the end, and are clamped into the axis; `step`
 * (default 1) must be positive (use `flip` to reverse). Axes past the given lists are kept
 * whole. A symbolic axis can only be kept whole.
 */
export const slice = (
  x: Tensor,
  begin: readonly number[],
  end?: readonly (number | null | undefined)[],
  step?: readonly number[],
): Tensor => {
  checkTensor("slice", x);
  const rank = x.shape.length;
  const show = () =>
    `begin ${JSON.stringify(begin)}, end ${JSON.stringify(end)}, step ${JSON.stringify(step)}`;
  if (
    !Array.isArray(begin) ||
    (end !== undefined && !Array.isArray(end)) ||
    (step !== undefined && !Array.isArray(step))
  ) {
    badArgument("slice", `begin, end and step must be arrays, got ${show()}`, [x.shape]);
  }
  if (begin.length > rank || (end?.length ?? 0) > rank || (step?.length ?? 0) > rank) {
    badArgument(
      "slice",
      `${show()} have more entries than the ${rank} axes of ${formatShape(x.shape)}`,
      [x.shape],
    );
  }
  const b: number[] = [];
  const e: (number | null)[] = [];
  const s: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = x.shape[i]!;
    const bi = begin[i] ?? 0;
    const ei = end?.[i] ?? null;
    const si = step?.[i] ?? 1;
    if (!Number.isInteger(si) || si < 1) {
      badArgument(
        "slice",
        `step ${si} on axis ${i} must be a positive integer (reverse with flip) in ${show()}`,
        [x.shape],
      );
    }
    if (
      !Number.isInteger(bi) ||
      (ei !== null && !Number.isInteger(ei) && Math.abs(ei) !== Infinity)
    ) {
      badArgument(
        "slice",
        `axis ${i}: begin and end must be integers (end may be ±Infinity or null) in ${show()}`,
        [x.shape],
      );
    }
    if (typeof d === "string") {
      if (bi !== 0 || (ei !== null && ei !== Infinity) || si !== 1) {
        throw new LoomError(
          "unsupported",
          "slice",
          `axis ${i} of ${formatShape(x.shape)} has symbolic size ${d}, so only its full range can be taken; ${show()} asks for part of it`,
          [x.shape],
        );
      }
      b.push(0);
      e.push(null);
      s.push(1);
      continue;
    }
    const lo = clamp(bi < 0 ? bi + d : bi, 0, d);
    const hi = ei === null ? d : clamp(ei < 0 ? ei + d : ei, 0, d);
    b.push(lo);
    e.push(Math.max(lo, hi));
    s.push(si);
  }
  const whole = x.shape.every((d, i) => b[i] === 0 && (e[i] === null || e[i] === d) && s[i] === 1);
  return whole ? x : prim("slice", [x], { begin: b, end: e, step: s });
};

/**
 * Surrounds x with `value`: `pads` is one `[low, high]` pair per axis, or one number for
 * every side of every axis. Pads must be non-negative (crop with `slice`).
 */
export const pad = (
  x: Tensor,
  pads: readonly (readonly [number, number])[] | number,
  value = 0,
): Tensor => {
  checkTensor("pad", x);
  const rank = x.shape.length;
  const pairs = typeof pads === "number" ? x.shape.map(() => [pads, pads] as const) : pads;
  const ok =
    Array.isArray(pairs) &&
    pairs.length === rank &&
    pairs.every(
      (p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0),
    );
  if (!ok) {
    badArgument(
      "pad",
      `pads ${JSON.stringify(pads)} must be a non-negative integer or ${rank} pairs [low, high] of them for ${formatShape(x.shape)}; crop with slice instead of negative pads`,
      [x.shape],
    );
  }
  if (typeof value !== "number" || Number.isNaN(value))
    badArgument("pad", `value must be a number, got ${String(value)}`, [x.shape]);
  if (pairs.every(([l, h]) => l === 0 && h === 0)) return x;
  return prim("pad", [x], { low: pairs.map((p) => p[0]), high: pairs.map((p) => p[1]), value });
};

/** Joins tensors of one dtype and rank along `axis` (negative allowed); other dims must agree. */
export const concat = (xs: readonly Tensor[], axis = 0): Tensor => {
  if (!Array.isArray(xs) || xs.length === 0 || !xs.every(isTensor)) {
    badArgument("concat", "expects a non-empty array of tensors");
  }
  const a = normalizeAxis("concat", axis, xs[0]!.shape);
  return xs.length === 1 ? xs[0]! : prim("concat", xs, { axis: a });
};

/** Reverses the order of elements along `axes` (default: every axis; negative allowed). */
export const flip = (x: Tensor, axes?: number | readonly number[]): Tensor => {
  checkTensor("flip", x);
  const norm = axes === undefined ? x.shape.map((_, i) => i) : normalizeAxes("flip", axes, x.shape);
  return norm.length === 0 ? x : prim("flip", [x], { axes: norm });
};

/** Drops axes of size 1: the given ones (each must be 1), or every concrete dim of 1. */
export const squeeze = (x: Tensor, axes?: number | readonly number[]): Tensor => {
  checkTensor("squeeze", x);
  const drop =
    axes === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : normalizeAxes("squeeze", axes, x.shape);
  for (const a of drop) {
    if (x.shape[a] !== 1) {
      badArgument("squeeze", `axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`, [
        x.shape,
      ]);
    }
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !drop.includes(i)),
  );
};

/** Inserts an axis of size 1 at `axis` (in `-(rank+1)..rank`, as NumPy's expand_dims). */
export const expandDims = (x: Tensor, axis: number): Tensor => {
  checkTensor("expandDims", x);
  const a = normalizeAxis("expandDims", axis, x.shape, x.shape.length + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
};

/**
 * Collapses the axes from `startAxis` on into one: `[N,C,H,W] -> [N,C*H*W]`. The batch dim
 * may be symbolic; a symbol among the collapsed axes is kept only when it is their sole
 * non-1 factor.
 */
export const flatten = (x: Tensor, startAxis = 1): Tensor => {
  checkTensor("flatten", x);
  const rank = x.shape.length;
  const start = Number.isInteger(startAxis) && startAxis < 0 ? startAxis + rank : startAxis;
  if (!Number.isInteger(start) || start < 0 || start > rank) {
    badArgument(
      "flatten",
      `startAxis ${startAxis} is out of range for ${formatShape(x.shape)} (valid: ${-rank}..${rank})`,
      [x.shape],
    );
  }
  const rest = x.shape.slice(start);
  const size = symbolicSize(rest);
  let merged: Dim;
  if (size.symbols.length === 0) merged = size.factor;
  else if (size.symbols.length === 1 && size.factor === 1) merged = size.symbols[0]!;
  else {
    throw new LoomError(
      "unsupported",
      "flatten",
      `cannot collapse axes ${start}.. of ${formatShape(x.shape)}: their product mixes a symbol with other factors; flatten from a later axis or use concrete shapes`,
      [x.shape],
    );
  }
  return reshape(x, [...x.shape.slice(0, start), merged]);
};
