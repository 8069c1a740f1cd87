import type { DType } from "@loom/graph";
import { numel } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import {
  abs,
  add,
  bitwiseAnd,
  bitwiseNot,
  bitwiseOr,
  bitwiseXor,
  broadcastTo,
  cast,
  concat,
  constant,
  cos,
  div,
  eq,
  exp,
  expandDims,
  flip,
  floor,
  ge,
  gt,
  hostTensor,
  iota,
  log,
  lt,
  max,
  maximum,
  minimum,
  mod,
  mul,
  ne,
  neg,
  pad,
  reshape,
  scalar,
  select,
  shiftLeft,
  shiftRightLogical,
  sigmoid,
  sign,
  sin,
  slice,
  sqrt,
  sub,
  sum,
  tanh,
  transpose,
} from "@loom/ops";
import { randomTensor, rng } from "./compare";

/**
 * Random programs for fuzzing a backend against the CPU: elementwise chains, broadcasts,
 * movement ops, reductions, integer and bool ops, grown step by step from a pool of values.
 * Float inputs lie on a grid of quarters and each value carries a bound on its magnitude and
 * whether float32 holds it exactly, so ops that jump (floor, sign, compares, casts to int)
 * only see exact values.
 */

/** The largest int32 magnitude, a bound for values that may wrap. */
export const INT_MAX = 2 ** 31;

/** A value of the program with what is known about it. */
export interface V {
  readonly t: Tensor;
  readonly bound: number;
  /** log2 of the grid denominator of a float value. */
  readonly den: number;
  readonly exact: boolean;
}

/** True for the float dtype a GPU computes in. */
export const isF = (d: DType) => d === "float32";
/** A value with its magnitude bound and grid; exact when float32 holds every intermediate. */
export const v = (t: Tensor, bound: number, den = 0, exact = true): V => ({
  t,
  bound: t.dtype === "int32" ? Math.min(bound, INT_MAX) : t.dtype === "bool" ? 1 : bound,
  den,
  exact: !isF(t.dtype) || (exact && bound * 2 ** den < 2 ** 24),
});
const inexact = (t: Tensor, bound: number): V => v(t, bound, 0, false);
/** The item of `xs` that `n` selects. */
export const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;
const shapeOf = (x: V) => x.t.shape as number[];

/** `q` brought to `p`'s shape (reshape, broadcast, or a full reduction) and dtype. */
const align = (q: V, p: V, n: number): V => {
  const shape = shapeOf(p);
  let r = q;
  if (shapeOf(r).join() !== shape.join()) {
    const from = shapeOf(r);
    const fits =
      from.length <= shape.length &&
      from.every((d, i) => d === 1 || d === shape[shape.length - from.length + i]);
    if (numel(from) === numel(shape)) r = { ...r, t: reshape(r.t, shape) };
    else if (!fits) {
      const x = r.t.dtype === "bool" ? cast(r.t, "int32") : r.t;
      const all = from.map((_, i) => i);
      r =
        n % 2 === 0
          ? v(sum(x, all), r.bound * numel(from), r.den, r.exact)
          : { ...r, t: max(x, all) };
    }
    r = { ...r, t: broadcastTo(r.t, shape) };
  }
  const d = p.t.dtype;
  if (r.t.dtype === d) return r;
  if (isF(d)) return v(cast(r.t, d), r.bound, isF(r.t.dtype) ? r.den : 0, r.exact);
  if (isF(r.t.dtype) && !r.exact) return p;
  return d === "bool" ? v(ne(r.t, 0), 1) : v(cast(r.t, d), r.bound + 1);
};

const unary = (x: V, k: number): V => {
  const t = x.t;
  if (t.dtype === "bool") return v(bitwiseNot(t), 1);
  if (t.dtype === "int32") return v(pick([neg, abs, bitwiseNot], k)(t), x.bound + 1);
  const s = Math.max(1, x.bound);
  return pick<() => V>(
    [
      () => ({ ...x, t: neg(t) }),
      () => ({ ...x, t: abs(t) }),
      () => inexact(tanh(t), s),
      () => inexact(sin(t), s),
      () => inexact(cos(t), s),
      () => inexact(exp(minimum(t, 2)), 7.4 * s),
      () => inexact(log(add(abs(t), 1)), s + 1),
      () => inexact(sqrt(abs(t)), s + 1),
      () => inexact(sigmoid(t), s),
      () => (x.exact ? v(floor(t), x.bound + 1) : inexact(tanh(t), s)),
      () => (x.exact ? v(sign(t), 1) : inexact(sin(t), s)),
    ],
    k,
  )();
};

const binary = (p: V, q: V, k: number): V => {
  const [a, b] = [p.t, q.t];
  const bound = p.bound + q.bound;
  if (a.dtype === "bool") return v(pick([bitwiseAnd, bitwiseOr, bitwiseXor, eq, ne], k)(a, b), 1);
  if (a.dtype === "int32") {
    const ops = [
      add,
      sub,
      mul,
      div,
      mod,
      maximum,
      minimum,
      bitwiseAnd,
      bitwiseOr,
      bitwiseXor,
      shiftLeft,
      shiftRightLogical,
    ];
    const op = pick(ops, k);
    return v(op(a, b), op === add || op === sub ? bound : op === mul ? p.bound * q.bound : INT_MAX);
  }
  const den = Math.max(p.den, q.den);
  const both = p.exact && q.exact;
  return pick<() => V>(
    [
      () => v(add(a, b), bound, den, both),
      () => v(sub(a, b), bound, den, both),
      () => v(mul(a, b), p.bound * q.bound, p.den + q.den, both),
      () => v(maximum(a, b), Math.max(p.bound, q.bound), den, both),
      () => v(minimum(a, b), Math.max(p.bound, q.bound), den, both),
      () => inexact(div(a, add(abs(b), 1)), p.bound * (1 + q.bound)),
      () => (both ? v(mod(a, add(abs(b), 1)), p.bound, den) : inexact(mul(a, tanh(b)), bound * 2)),
    ],
    k,
  )();
};

const movement = (p: V, q: V, k: number): V => {
  const shape = shapeOf(p);
  const rank = shape.length;
  const r = rng(k);
  const ri = (n: number) => Math.floor(r() * n);
  if (rank === 0) return p;
  switch (k % 7) {
    case 0: {
      const n = numel(shape);
      const d = [1, 2, 3, 4, 5, 6].filter((f) => n % f === 0);
      const f = pick(d, k >> 3);
      return { ...p, t: reshape(p.t, [f, n / f]) };
    }
    case 1:
      return {
        ...p,
        t: transpose(
          p.t,
          shape.map((_, i) => i).sort(() => r() - 0.5),
        ),
      };
    case 2: {
      const begin = shape.map((d) => ri(d));
      const end = shape.map((d, i) => begin[i]! + 1 + ri(d - begin[i]!));
      return {
        ...p,
        t: slice(
          p.t,
          begin,
          end,
          shape.map(() => 1 + ri(2)),
        ),
      };
    }
    case 3: {
      const value = p.t.dtype === "bool" ? ri(2) : p.t.dtype === "int32" ? ri(9) - 4 : -1.5;
      const t = pad(
        p.t,
        shape.map(() => [ri(3), ri(3)] as [number, number]),
        value,
      );
      return { ...p, t, bound: Math.max(p.bound, 4) };
    }
    case 4:
      return {
        ...p,
        t: flip(
          p.t,
          shape.map((_, i) => i).filter(() => r() < 0.6),
        ),
      };
    case 5: {
      const o = align(q, p, k);
      const t = concat(k % 2 === 0 ? [p.t, o.t] : [o.t, p.t, p.t], ri(rank));
      return {
        t,
        bound: Math.max(p.bound, o.bound),
        den: Math.max(p.den, o.den),
        exact: p.exact && o.exact,
      };
    }
    default: {
      const at = ri(rank + 1);
      const e = expandDims(p.t, at);
      return {
        ...p,
        t: broadcastTo(
          e,
          (e.shape as number[]).map((d, i) => (i === at ? 2 + ri(2) : d)),
        ),
      };
    }
  }
};

const reduce = (p: V, k: number): V => {
  const shape = shapeOf(p);
  if (shape.length === 0) return p;
  const r = rng(k);
  let axes = shape.map((_, i) => i).filter(() => r() < 0.5);
  if (axes.length === 0) axes = [k % shape.length];
  const x = p.t.dtype === "bool" ? v(cast(p.t, "int32"), 1) : p;
  const n = axes.reduce((s, a) => s * shape[a]!, 1);
  const keep = (k >> 3) % 2 === 0;
  return (k >> 4) % 2 === 0
    ? v(sum(x.t, axes, keep), x.bound * n, x.den, x.exact)
    : { ...x, t: max(x.t, axes, keep) };
};

/** One step: which op, and numbers that select operands and attributes. */
export interface Step {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** The value one step adds to the pool. */
export const step = (pool: readonly V[], s: Step): V => {
  const p = s.a % 2 === 0 ? pool[pool.length - 1 - ((s.a >> 1) % 3)]! : pick(pool, s.a >> 1);
  const q = align(pick(pool, s.b), p, s.c);
  const d = p.t.dtype;
  switch (s.op % 9) {
    case 0:
      return unary(p, s.c);
    case 1:
    case 2:
      return binary(p, q, s.c);
    case 3:
      if (isF(d) && !(p.exact && q.exact)) return binary(p, q, s.c);
      return v(pick(d === "bool" ? [eq, ne] : [lt, ge, gt, eq, ne], s.c)(p.t, q.t), 1);
    case 4: {
      const c = align(
        pick(
          pool.filter((x) => x.t.dtype === "bool"),
          s.c,
        ),
        { ...p, t: cast(p.t, "bool") },
        s.c,
      );
      return v(
        select(c.t, p.t, q.t),
        Math.max(p.bound, q.bound),
        Math.max(p.den, q.den),
        p.exact && q.exact,
      );
    }
    case 5:
      if (isF(d))
        return p.exact ? v(cast(p.t, s.c % 2 === 0 ? "int32" : "bool"), p.bound) : unary(p, s.c);
      return v(cast(p.t, s.c % 2 === 0 ? (d === "int32" ? "bool" : "int32") : "float32"), p.bound);
    case 6: {
      const c =
        d === "bool"
          ? v(scalar(s.c % 2, "bool"), 1)
          : d === "int32"
            ? v(scalar(pick([1 << 30, 2147483647, -2147483648, 7, -3], s.c), "int32"), INT_MAX)
            : v(
                constant(
                  randomTensor(shapeOf(p), s.c, 4).data.map((x) => Math.round(x * 4) / 4),
                  shapeOf(p),
                ),
                4,
                2,
              );
      return binary(p, align(c, p, 0), s.b);
    }
    case 7:
      return numel(shapeOf(p)) > 300 ? reduce(p, s.c) : movement(p, pick(pool, s.b), s.c);
    default:
      return s.c % 3 === 0 && shapeOf(p).length > 0
        ? v(iota(shapeOf(p), s.b % shapeOf(p).length, s.c % 2 === 0 ? "int32" : "float32"), 16)
        : reduce(p, s.c);
  }
};

/** A float32 host tensor of random multiples of 1/4 in [-4, 4]. */
export const grid = (shape: readonly number[], seed: number) =>
  hostTensor(
    randomTensor(shape, seed, 4).data.map((x) => Math.round(x * 4) / 4),
    shape,
  );
