import type { DType } from "@loom/graph";
import { numel } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import * as loom from "@loom/ops";
import { gridValues, rng } from "./rng";

// Random programs of elementwise, movement and reduction ops, grown step by step from a pool
// of values, for checking an optimised plan on any backend against the unfused reference.
// Float inputs lie on a grid of quarters and each value carries a bound on its magnitude and
// whether its float type holds it exactly: ops that jump (floor, sign, compares, casts to int)
// only see exact values, so int32 and bool results must agree bit for bit, and float results
// within the tolerance of the magnitudes involved.

/** A tensor of the program with what is known about its values. */
export interface V {
  readonly t: Tensor;
  /** An upper bound of |value| over the computation that produced it. */
  readonly bound: number;
  /** log2 of the grid's denominator (floats only). */
  readonly den: number;
  /** True when float32 represents every intermediate exactly (always true for int32/bool). */
  readonly exact: boolean;
}

/** The largest int32 magnitude, a bound for values that may wrap. */
export const INT_MAX = 2 ** 31;
/** True for a float dtype. */
export const isF = (d: DType) => d === "float32" || d === "float64";
const fits = (bound: number, den: number) => bound * 2 ** den < 2 ** 24;
/** A value with its magnitude bound and grid; exact when its float type holds every intermediate. */
export const v = (t: Tensor, bound: number, den = 0, exact = true): V => ({
  t,
  bound: t.dtype === "int32" ? Math.min(bound, INT_MAX) : t.dtype === "bool" ? 1 : bound,
  den,
  exact: !isF(t.dtype) || (exact && fits(bound, den)),
});
const inexact = (t: Tensor, bound: number): V => v(t, bound, 0, false);

/** One step: which op, and numbers that select operands and attributes. */
export interface Step {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

const shapeOf = (x: V) => x.t.shape as number[];
/** The item of `xs` that `n` selects. */
export const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

const broadcastsTo = (from: readonly number[], to: readonly number[]) =>
  from.length <= to.length &&
  from.every((d, i) => d === 1 || d === to[to.length - from.length + i]);

/** `q` brought to `target`'s shape (reshape, broadcast, or a full reduction). */
const alignShape = (q: V, target: V, n: number): V => {
  const shape = shapeOf(target);
  let r = q;
  if (shapeOf(r).join() !== shape.join()) {
    if (numel(shapeOf(r)) === numel(shape)) r = { ...r, t: loom.reshape(r.t, shape) };
    else if (!broadcastsTo(shapeOf(r), shape)) {
      const x = r.t.dtype === "bool" ? loom.cast(r.t, "int32") : r.t;
      const all = shapeOf(r).map((_, i) => i);
      const n1 = numel(shapeOf(r));
      r =
        n % 2 === 0
          ? v(loom.sum(x, all), r.bound * n1, r.den, r.exact)
          : { ...r, t: loom.max(x, all) };
    }
    r = { ...r, t: loom.broadcastTo(r.t, shape) };
  }
  return r;
};

/** `q` brought to `target`'s shape and dtype. */
const align = (q: V, target: V, n: number): V => {
  const r = alignShape(q, target, n);
  const d = target.t.dtype;
  if (r.t.dtype === d) return r;
  if (isF(d)) return v(loom.cast(r.t, d), r.bound, isF(r.t.dtype) ? r.den : 0, r.exact);
  if (isF(r.t.dtype) && !r.exact) return target; // a jump of an inexact value: use the target itself
  if (d === "bool") return v(loom.ne(r.t, 0), 1);
  return v(loom.cast(r.t, d), r.bound + 1);
};

// A bounded op of an inexact value inherits its input's error scale (the ops are Lipschitz).
const floatUnary = (x: V, k: number): V => {
  const t = x.t;
  const s = Math.max(1, x.bound);
  const choices: (() => V)[] = [
    () => ({ ...x, t: loom.neg(t) }),
    () => ({ ...x, t: loom.abs(t) }),
    () => inexact(loom.tanh(t), s),
    () => inexact(loom.sin(t), s),
    () => inexact(loom.cos(t), s),
    () => inexact(loom.exp(loom.minimum(t, 2)), 7.4 * s),
    () => inexact(loom.log(loom.add(loom.abs(t), 1)), s + 1),
    () => inexact(loom.sqrt(loom.add(loom.abs(t), 1)), s + 1),
    () => inexact(loom.sqrt(loom.abs(t)), s + 1),
    () => inexact(loom.sigmoid(t), s),
    () => inexact(loom.reciprocal(loom.add(loom.abs(t), 1)), s),
    () => inexact(loom.pow(loom.add(loom.abs(t), 1), pick([2, 0.5, -1], k >> 4)), 2 * (s + 1) ** 2),
    () => (x.exact ? v(loom.floor(t), x.bound + 1) : inexact(loom.tanh(t), s)),
    () => (x.exact ? v(loom.sign(t), 1) : inexact(loom.sin(t), s)),
  ];
  return pick(choices, k)();
};

const binary = (p: V, q: V, k: number): V => {
  const [a, b] = [p.t, q.t];
  const bound = p.bound + q.bound;
  if (p.t.dtype === "bool") {
    const ops = [loom.bitwiseAnd, loom.bitwiseOr, loom.bitwiseXor, loom.eq, loom.ne];
    return v(pick(ops, k)(a, b), 1);
  }
  if (p.t.dtype === "int32") {
    const ops: [(x: Tensor, y: Tensor) => Tensor, number][] = [
      [loom.add, bound],
      [loom.sub, bound],
      [loom.mul, p.bound * q.bound],
      [loom.div, p.bound],
      [loom.mod, p.bound],
      [loom.maximum, bound],
      [loom.minimum, bound],
      [loom.bitwiseAnd, INT_MAX],
      [loom.bitwiseOr, INT_MAX],
      [loom.bitwiseXor, INT_MAX],
      [loom.shiftLeft, INT_MAX],
      [loom.shiftRightLogical, INT_MAX],
    ];
    const [op, bd] = pick(ops, k);
    return v(op(a, b), bd);
  }
  const den = Math.max(p.den, q.den);
  const both = p.exact && q.exact;
  const choices: (() => V)[] = [
    () => v(loom.add(a, b), bound, den, both),
    () => v(loom.sub(a, b), bound, den, both),
    () => v(loom.mul(a, b), p.bound * q.bound, p.den + q.den, both),
    () => v(loom.maximum(a, b), Math.max(p.bound, q.bound), den, both),
    () => v(loom.minimum(a, b), Math.max(p.bound, q.bound), den, both),
    () => inexact(loom.div(a, loom.add(loom.abs(b), 1)), p.bound * (1 + q.bound)),
    () =>
      both
        ? v(loom.mod(a, loom.add(loom.abs(b), 1)), p.bound, den)
        : inexact(loom.mul(a, loom.tanh(b)), p.bound * (1 + q.bound)),
  ];
  return pick(choices, k)();
};

const compare = (p: V, q: V, k: number): V => {
  const ops =
    p.t.dtype === "bool"
      ? [loom.eq, loom.ne]
      : [loom.lt, loom.le, loom.gt, loom.ge, loom.eq, loom.ne];
  return v(pick(ops, k)(p.t, q.t), 1);
};

/** A constant of `x`'s type: a splat or a full tensor, including int32 extremes. */
const constantLike = (x: V, k: number): V => {
  const d = x.t.dtype;
  const shape = shapeOf(x);
  const big = [1 << 30, 2147483647, -2147483648, 7, -3, 65536];
  if (d === "bool") return v(k % 2 === 0 ? loom.scalar(1, "bool") : loom.scalar(0, "bool"), 1);
  if ((k >> 1) % 2 === 0) {
    const c = d === "int32" ? pick(big, k >> 2) : pick([0.5, -2, 3, 0.25], k >> 2);
    return v(loom.scalar(c, d), Math.abs(c), 2);
  }
  const vals = gridValues(Math.max(numel(shape), 1), k).map((c) => (d === "int32" ? c * 4 : c));
  return v(loom.constant(vals, shape, d), 16, 2);
};

/** A random shape with `n` elements and rank 1..3. */
const factorShape = (n: number, k: number): number[] => {
  const divisors = (m: number) =>
    Array.from({ length: m }, (_, i) => i + 1).filter((d) => m % d === 0);
  const rank = 1 + (k % 3);
  const out: number[] = [];
  let rest = n;
  for (let i = 1; i < rank; i++) {
    const d = pick(divisors(rest), k >> (2 * i));
    out.push(d);
    rest /= d;
  }
  return [...out, rest];
};

/** A movement op of `p` (reshape, transpose, slice, pad, flip, concat with `q`, broadcast). */
export const movement = (p: V, q: V, kind: number, k: number): V => {
  const shape = shapeOf(p);
  const rank = shape.length;
  const r = rng(k);
  const ri = (n: number) => Math.floor(r() * n);
  if (numel(shape) > 200 && kind >= 3) return reduce(p, k);
  switch (kind) {
    case 0:
      return { ...p, t: loom.reshape(p.t, factorShape(numel(shape), k)) };
    case 1: {
      const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
      return { ...p, t: loom.transpose(p.t, perm) };
    }
    case 2: {
      const begin = shape.map((d) => ri(d));
      const end = shape.map((d, i) => begin[i]! + 1 + ri(d - begin[i]!));
      return {
        ...p,
        t: loom.slice(
          p.t,
          begin,
          end,
          shape.map(() => 1 + ri(2)),
        ),
      };
    }
    case 3: {
      const value = p.t.dtype === "bool" ? ri(2) : p.t.dtype === "int32" ? ri(9) - 4 : -1.5;
      const pads = shape.map(() => [ri(3), ri(3)] as [number, number]);
      return { ...p, t: loom.pad(p.t, pads, value), bound: Math.max(p.bound, 4) };
    }
    case 4:
      return rank === 0
        ? p
        : {
            ...p,
            t: loom.flip(
              p.t,
              shape.map((_, i) => i).filter(() => r() < 0.6),
            ),
          };
    case 5: {
      if (rank === 0) return p;
      const other = align(q, p, k);
      const both = { ...p, bound: Math.max(p.bound, other.bound), exact: p.exact && other.exact };
      const parts = k % 2 === 0 ? [p.t, other.t] : [other.t, p.t, p.t];
      return { ...both, den: Math.max(p.den, other.den), t: loom.concat(parts, ri(rank)) };
    }
    default: {
      const at = ri(rank + 1);
      const e = loom.expandDims(p.t, at);
      const target = (e.shape as number[]).map((d, i) => (i === at ? 2 + ri(2) : d));
      return { ...p, t: loom.broadcastTo(e, target) };
    }
  }
};

const reduce = (p: V, k: number): V => {
  const shape = shapeOf(p);
  if (shape.length === 0) return p;
  const r = rng(k);
  let axes = shape.map((_, i) => i).filter(() => r() < 0.5);
  if (axes.length === 0) axes = [k % shape.length];
  const keep = (k >> 3) % 2 === 0;
  const x = p.t.dtype === "bool" ? v(loom.cast(p.t, "int32"), 1) : p;
  const n = axes.reduce((s, a) => s * shape[a]!, 1);
  return (k >> 4) % 2 === 0
    ? v(loom.sum(x.t, axes, keep), x.bound * n, x.den, x.exact)
    : { ...x, t: loom.max(x.t, axes, keep) };
};

/**
 * The value one step adds to the pool (floats cast to `lane`); a result whose magnitude bound
 * gets huge is dropped (float32 would overflow).
 */
export const step = (pool: V[], s: Step, lane: DType): V => {
  const r = step1(pool, s, lane);
  return isF(r.t.dtype) && r.bound > 1e9 ? pool[pool.length - 1]! : r;
};

const step1 = (pool: V[], s: Step, lane: DType): V => {
  // Half the steps extend one of the three newest values, so chains grow deep.
  const p = s.a % 2 === 0 ? pool[pool.length - 1 - ((s.a >> 1) % 3)]! : pick(pool, s.a >> 1);
  const q = align(pick(pool, s.b), p, s.c);
  switch (s.op % 10) {
    case 0:
      if (isF(p.t.dtype)) return floatUnary(p, s.c);
      return p.t.dtype === "bool"
        ? v(loom.bitwiseNot(p.t), 1)
        : v(pick([loom.neg, loom.abs, loom.bitwiseNot], s.c)(p.t), p.bound + 1);
    case 1:
    case 2:
      return binary(p, q, s.c);
    case 3:
      return isF(p.t.dtype) && !(p.exact && q.exact) ? binary(p, q, s.c) : compare(p, q, s.c);
    case 4: {
      const c = alignShape(
        pick(
          pool.filter((x) => x.t.dtype === "bool"),
          s.c,
        ),
        p,
        s.c,
      ).t;
      const cond = c.dtype === "bool" ? c : loom.ne(c, 0);
      const both = p.exact && q.exact;
      return v(
        loom.select(cond, p.t, q.t),
        Math.max(p.bound, q.bound),
        Math.max(p.den, q.den),
        both,
      );
    }
    case 5: {
      const d = p.t.dtype;
      if (isF(d)) {
        if (!p.exact) return floatUnary(p, s.c);
        return s.c % 2 === 0 ? v(loom.cast(p.t, "int32"), p.bound) : v(loom.cast(p.t, "bool"), 1);
      }
      const to: DType = s.c % 2 === 0 ? (d === "int32" ? "bool" : "int32") : lane;
      return v(loom.cast(p.t, to), p.bound, 0, true);
    }
    case 6: {
      const c = constantLike(p, s.c);
      return s.b % 4 === 0 ? c : binary(p, align(c, p, 0), s.b >> 2);
    }
    case 7:
      return movement(p, pick(pool, s.b), s.c % 7, s.b);
    case 8:
      return reduce(p, s.c);
    default: {
      const shape = shapeOf(p);
      if (shape.length === 0) return p;
      const dtype: DType = s.c % 2 === 0 ? "int32" : lane;
      return v(loom.iota(shape, s.b % shape.length, dtype), Math.max(...shape));
    }
  }
};
