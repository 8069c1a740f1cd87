import type { Expr } from "../expr";
import { alu, exprKey, int } from "../expr";

/** Inclusive integer bounds of an index expression. */
type Range = readonly [number, number];

const UNKNOWN: Range = [-Infinity, Infinity];

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** A range the int32 arithmetic wrapped out of is unknown: the values are no longer ordered. */
const checked = (r: Range): Range => (r[0] >= INT_MIN && r[1] <= INT_MAX ? r : UNKNOWN);

/** Bounds of the `index` axes (0..extent-1) and of reduction variables, by id. */
export interface IndexBounds {
  readonly axes: readonly number[];
  readonly vars: ReadonlyMap<number, number>;
}

/** The range of an int32 expression given the extents of indices and loop variables. */
export const rangeOf = (e: Expr, b: IndexBounds): Range => {
  switch (e.kind) {
    case "const":
      return [e.value, e.value];
    case "index":
      return [0, (b.axes[e.axis] ?? 1) - 1];
    case "var":
      return [0, (b.vars.get(e.id) ?? 1) - 1];
    case "alu": {
      if (e.dtype !== "int32") return UNKNOWN;
      const [x, y] = e.args;
      const rx = x ? rangeOf(x, b) : UNKNOWN;
      const ry = y ? rangeOf(y, b) : UNKNOWN;
      switch (e.op) {
        case "add":
          return checked([rx[0] + ry[0], rx[1] + ry[1]]);
        case "mul": {
          const c = [rx[0] * ry[0], rx[0] * ry[1], rx[1] * ry[0], rx[1] * ry[1]].filter(
            (v) => !Number.isNaN(v),
          );
          return checked([Math.min(...c), Math.max(...c)]);
        }
        case "div":
          return y?.kind === "const" && y.value > 0 && rx[0] >= 0
            ? [Math.trunc(rx[0] / y.value), Math.trunc(rx[1] / y.value)]
            : UNKNOWN;
        case "mod":
          return y?.kind === "const" && y.value > 0 && rx[0] >= 0
            ? [0, Math.min(rx[1], y.value - 1)]
            : UNKNOWN;
        case "max":
          return [Math.max(rx[0], ry[0]), Math.max(rx[1], ry[1])];
        case "min":
          return [Math.min(rx[0], ry[0]), Math.min(rx[1], ry[1])];
        default:
          return UNKNOWN;
      }
    }
    default:
      return UNKNOWN;
  }
};

/**
 * A linear form: constant + sum of coefficient * atom, atoms keyed by their printed form.
 * Coefficients and the constant are int32 (wrapped), as the arithmetic they stand for.
 */
interface Linear {
  readonly c: number;
  readonly terms: Map<string, { coef: number; atom: Expr }>;
}

const keyOf = exprKey;

const addTerm = (l: Linear, coef: number, atom: Expr) => {
  if (coef === 0) return;
  const k = keyOf(atom);
  const t = l.terms.get(k);
  const v = ((t?.coef ?? 0) + coef) | 0;
  if (v === 0) l.terms.delete(k);
  else l.terms.set(k, { coef: v, atom });
};

const isInt = (e: Expr, op: string) => e.kind === "alu" && e.dtype === "int32" && e.op === op;

/** Decomposes a simplified int expression into a linear form. */
const linear = (e: Expr): Linear => {
  const l: Linear = { c: 0, terms: new Map() };
  const walk = (x: Expr, coef: number, out: { c: number }) => {
    if (x.kind === "const") out.c = (out.c + Math.imul(coef, x.value)) | 0;
    else if (isInt(x, "add")) {
      const [a, b] = (x as Extract<Expr, { kind: "alu" }>).args;
      walk(a!, coef, out);
      walk(b!, coef, out);
    } else if (isInt(x, "mul")) {
      const [a, b] = (x as Extract<Expr, { kind: "alu" }>).args;
      if (b!.kind === "const") walk(a!, Math.imul(coef, b!.value), out);
      else if (a!.kind === "const") walk(b!, Math.imul(coef, a!.value), out);
      else addTerm(l, coef, x);
    } else addTerm(l, coef, x);
  };
  const out = { c: 0 };
  walk(e, 1, out);
  return { c: out.c, terms: l.terms };
};

const fromLinear = (l: Linear): Expr => {
  let acc: Expr | undefined;
  const terms = [...l.terms.values()].sort((a, b) => b.coef - a.coef);
  for (const { coef, atom } of terms) {
    const t = coef === 1 ? atom : alu("mul", [atom, int(coef)], "int32");
    acc = acc === undefined ? t : alu("add", [acc, t], "int32");
  }
  if (acc === undefined) return int(l.c);
  return l.c === 0 ? acc : alu("add", [acc, int(l.c)], "int32");
};

/**
 * True when every term of the form is non-negative and the sum stays below 2^31: then the
 * wrapped int32 value is the mathematical one, and division and remainder split over terms.
 */
const nonNegative = (l: Linear, b: IndexBounds) =>
  l.c >= 0 &&
  [...l.terms.values()].every((t) => t.coef > 0 && rangeOf(t.atom, b)[0] >= 0) &&
  rangeOfLinear(l, b)[1] <= INT_MAX;

const rangeOfLinear = (l: Linear, b: IndexBounds): Range =>
  [...l.terms.values()].reduce<Range>(
    (r, t) => {
      const [lo, hi] = rangeOf(t.atom, b);
      return t.coef > 0
        ? [r[0] + t.coef * lo, r[1] + t.coef * hi]
        : [r[0] + t.coef * hi, r[1] + t.coef * lo];
    },
    [l.c, l.c],
  );

/** `x / d` for non-negative x: whole multiples of d leave the division. */
const divide = (x: Expr, d: number, b: IndexBounds): Expr => {
  if (d === 1) return x;
  const l = linear(x);
  if (!nonNegative(l, b)) return alu("div", [x, int(d)], "int32");
  const q: Linear = { c: Math.trunc(l.c / d), terms: new Map() };
  const r: Linear = { c: l.c % d, terms: new Map() };
  for (const { coef, atom } of l.terms.values()) {
    if (coef % d === 0) addTerm(q, coef / d, atom);
    else addTerm(r, coef, atom);
  }
  const [lo, hi] = rangeOfLinear(r, b);
  if (lo >= 0 && hi < d) return fromLinear(q);
  // (y / a) / d = y / (a d)
  const rest = fromLinear(r);
  const inner =
    rest.kind === "alu" && rest.op === "div" && rest.args[1]!.kind === "const"
      ? alu("div", [rest.args[0]!, int(rest.args[1]!.value * d)], "int32")
      : alu("div", [rest, int(d)], "int32");
  return add(fromLinear(q), inner);
};

/** `x % d` for non-negative x: multiples of d vanish; a remainder already below d is itself. */
const modulo = (x: Expr, d: number, b: IndexBounds): Expr => {
  if (d === 1) return int(0);
  const l = linear(x);
  if (!nonNegative(l, b)) return alu("mod", [x, int(d)], "int32");
  const r: Linear = { c: l.c % d, terms: new Map() };
  for (const { coef, atom } of l.terms.values()) if (coef % d !== 0) addTerm(r, coef, atom);
  const [lo, hi] = rangeOfLinear(r, b);
  const rest = fromLinear(r);
  return lo >= 0 && hi < d ? rest : alu("mod", [rest, int(d)], "int32");
};

/**
 * Recombines `c * (y % d) + c * d * (y / d)` into `c * y` (with `y` itself possibly `x / a`,
 * written `x / (a d)` for the quotient), which is how a reshape of contiguous dims collapses
 * back into one flat index.
 */
const recombine = (l: Linear): boolean => {
  for (const [km, tm] of l.terms) {
    const m = tm.atom;
    if (m.kind !== "alu" || m.op !== "mod" || m.args[1]!.kind !== "const") continue;
    const d = m.args[1]!.value;
    const y = m.args[0]!;
    // the quotient y / d, in canonical form
    const q =
      y.kind === "alu" && y.op === "div" && y.args[1]!.kind === "const"
        ? alu("div", [y.args[0]!, int(y.args[1]!.value * d)], "int32")
        : alu("div", [y, int(d)], "int32");
    const tq = l.terms.get(keyOf(q));
    if (tq === undefined || tq.coef !== tm.coef * d) continue;
    l.terms.delete(km);
    l.terms.delete(keyOf(q));
    addTerm(l, tm.coef, y);
    return true;
  }
  return false;
};

const add = (a: Expr, c: Expr): Expr => {
  const l = linear(alu("add", [a, c], "int32"));
  while (recombine(l));
  return fromLinear(l);
};

/**
 * Simplifies the integer index arithmetic in an expression using the bounds of the output
 * index and loop variables: `(i*400 + j) / 400` with `j < 400` becomes `i`, and a reshape of
 * contiguous dims collapses back to one flat offset. Float arithmetic is left untouched.
 */
export const simplifyIndex = (e: Expr, bounds: IndexBounds): Expr => {
  const go = (x: Expr, b: IndexBounds): Expr => {
    switch (x.kind) {
      case "load":
        return { ...x, at: go(x.at, b) };
      case "reduce": {
        const vars = new Map(b.vars);
        for (const v of x.vars) vars.set(v.id, v.extent);
        return { ...x, body: go(x.body, { axes: b.axes, vars }) };
      }
      case "alu": {
        const args = x.args.map((a) => go(a, b));
        if (x.dtype !== "int32") return { ...x, args };
        const [p, q] = args;
        if (x.op === "div" && q!.kind === "const" && q!.value > 0) return divide(p!, q!.value, b);
        if (x.op === "mod" && q!.kind === "const" && q!.value > 0) return modulo(p!, q!.value, b);
        if (x.op === "add" || x.op === "mul") {
          if (p!.kind === "const" && q!.kind === "const")
            return int(x.op === "add" ? (p.value + q.value) | 0 : Math.imul(p.value, q.value));
          const l = linear({ ...x, args });
          while (recombine(l));
          return fromLinear(l);
        }
        return { ...x, args };
      }
      default:
        return x;
    }
  };
  return go(e, bounds);
};
