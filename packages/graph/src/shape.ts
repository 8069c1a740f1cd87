import { ownValue } from "./own";

/** A dimension: a concrete size or a named symbol such as `"N"` for a batch not yet known. */
export type Dim = number | string;

/** A tensor shape; `[]` is a scalar. */
export type Shape = readonly Dim[];

/** Formats a shape as `[N,64,16,16]`. */
export const formatShape = (s: Shape): string => `[${s.join(",")}]`;

/** True when every dim is a number. */
export const isConcrete = (s: Shape): s is readonly number[] =>
  s.every((d) => typeof d === "number");

/** True when two dims are known to be equal (same number or same symbol). */
export const dimEq = (a: Dim, b: Dim): boolean => a === b;

/** True when two shapes are known to be equal. */
export const shapeEq = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The element count of a concrete shape. */
export const numel = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/**
 * A symbolic element count: a constant factor times a multiset of symbols, so that
 * `[N,1,28,28]` and `[N,784]` compare equal without knowing N.
 */
export interface SymbolicSize {
  readonly factor: number;
  readonly symbols: readonly string[];
}

/** The symbolic element count of a shape. */
export const symbolicSize = (s: Shape): SymbolicSize => ({
  factor: s.reduce<number>((p, d) => (typeof d === "number" ? p * d : p), 1),
  symbols: s.filter((d): d is string => typeof d === "string").sort(),
});

/** True when two symbolic sizes are equal. */
export const sizeEq = (a: SymbolicSize, b: SymbolicSize): boolean =>
  a.factor === b.factor &&
  a.symbols.length === b.symbols.length &&
  a.symbols.every((s, i) => s === b.symbols[i]);

/** Row-major strides of a concrete shape. */
export const stridesOf = (s: readonly number[]): number[] => {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i]!;
  }
  return st;
};

/** Normalises a possibly negative axis; returns -1 when out of range. */
export const normAxis = (axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : -1;
};

/**
 * NumPy broadcasting of two shapes (right-aligned; a dim of 1 stretches).
 * Returns undefined when they do not broadcast.
 */
export const broadcastShapes = (a: Shape, b: Shape): Dim[] | undefined => {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return undefined;
  }
  return out;
};

/** Substitutes known symbol values into a shape. */
export const specializeShape = (s: Shape, bindings: Readonly<Record<string, number>>): Dim[] =>
  s.map((d) => (typeof d === "string" ? (ownValue(bindings, d) ?? d) : d));
