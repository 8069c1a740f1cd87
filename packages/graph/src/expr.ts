import type { DType } from "./dtype";

/** Unary ALU ops of the kernel IR. Integer `div` truncates; `mod` takes the dividend's sign (as in C and JS). */
export type UnaryAlu =
  | "neg"
  | "abs"
  | "sign"
  | "exp"
  | "log"
  | "sqrt"
  | "recip"
  | "sin"
  | "cos"
  | "tanh"
  | "floor"
  | "not";

/** Binary ALU ops of the kernel IR; comparisons yield bool; `shr` is the logical (unsigned) shift. */
export type BinaryAlu =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "max"
  | "min"
  | "pow"
  | "mod"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "and"
  | "or"
  | "xor"
  | "shl"
  | "shr";

/**
 * Every ALU op. `where(c,a,b)` selects; `cast` converts to the expression's dtype;
 * `threefry(k0,k1,c0,c1)` is the first output word of Threefry-2x32 (20 rounds), bit-identical on every backend.
 */
export type AluOp = UnaryAlu | BinaryAlu | "where" | "cast" | "threefry";

/**
 * The scalar expression of the kernel IR: what one output element of a kernel is.
 * `index` is a component of the output multi-index, `var` a reduction loop variable,
 * `load` reads input buffer `input` at a flat element offset.
 */
export type Expr =
  | { readonly kind: "const"; readonly value: number; readonly dtype: DType }
  | { readonly kind: "index"; readonly axis: number; readonly dtype: "int32" }
  | { readonly kind: "var"; readonly id: number; readonly dtype: "int32" }
  | { readonly kind: "load"; readonly input: number; readonly at: Expr; readonly dtype: DType }
  | {
      readonly kind: "alu";
      readonly op: AluOp;
      readonly args: readonly Expr[];
      readonly dtype: DType;
    }
  | {
      readonly kind: "reduce";
      readonly op: "sum" | "max";
      readonly vars: readonly { readonly id: number; readonly extent: number }[];
      readonly body: Expr;
      readonly dtype: DType;
    };

/** A constant. */
export const cnst = (value: number, dtype: DType): Expr => ({ kind: "const", value, dtype });

/** An int32 constant, for index arithmetic. */
export const int = (value: number): Expr => cnst(value, "int32");

/** An ALU node whose dtype is the first argument's (or `dtype` when given). */
export const alu = (op: AluOp, args: readonly Expr[], dtype?: DType): Expr => ({
  kind: "alu",
  op,
  args,
  dtype: dtype ?? args[0]!.dtype,
});

const COMPARE: ReadonlySet<AluOp> = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

/** True for ALU ops whose result is bool whatever their inputs. */
export const isCompare = (op: AluOp): boolean => COMPARE.has(op);

/** Integer add that folds constants, keeping index expressions small. */
export const iadd = (a: Expr, b: Expr): Expr => {
  if (a.kind === "const" && b.kind === "const") return int(a.value + b.value);
  if (a.kind === "const" && a.value === 0) return b;
  if (b.kind === "const" && b.value === 0) return a;
  return alu("add", [a, b], "int32");
};

/** Integer multiply that folds constants. */
export const imul = (a: Expr, b: Expr): Expr => {
  if (a.kind === "const" && b.kind === "const") return int(a.value * b.value);
  if ((a.kind === "const" && a.value === 0) || (b.kind === "const" && b.value === 0)) return int(0);
  if (a.kind === "const" && a.value === 1) return b;
  if (b.kind === "const" && b.value === 1) return a;
  return alu("mul", [a, b], "int32");
};

/** Integer (truncating) division by a positive constant; index expressions are non-negative. */
export const idiv = (a: Expr, d: number): Expr => {
  if (d === 1) return a;
  if (a.kind === "const") return int(Math.trunc(a.value / d));
  return alu("div", [a, int(d)], "int32");
};

/** Integer remainder by a positive constant. */
export const imod = (a: Expr, d: number): Expr => {
  if (d === 1) return int(0);
  if (a.kind === "const") return int(a.value % d);
  return alu("mod", [a, int(d)], "int32");
};

/** Row-major flat offset of a multi-index in a concrete shape. */
export const linearize = (idx: readonly Expr[], shape: readonly number[]): Expr => {
  let acc: Expr = int(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    acc = iadd(imul(idx[i]!, int(stride)), acc);
    stride *= shape[i]!;
  }
  return acc;
};

/** The multi-index of a flat row-major offset in a concrete shape. */
export const delinearize = (flat: Expr, shape: readonly number[]): Expr[] => {
  const out = new Array<Expr>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = imod(idiv(flat, stride), shape[i]!);
    stride *= shape[i]!;
  }
  if (shape.length > 0) out[0] = idiv(flat, stride / shape[0]!);
  return out;
};

/**
 * A text key of an expression, equal only for equal expressions: constants keep -0, NaN and
 * the infinities apart (plain JSON.stringify writes 0 and null, which merged `x == Infinity`
 * and `x == -Infinity` into one temporary of a fused kernel).
 */
export const exprKey = (e: Expr): string =>
  JSON.stringify(e, (_k, v: unknown) =>
    typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
      ? `#${Object.is(v, -0) ? "-0" : String(v)}`
      : v,
  );

/**
 * `e` rebuilt bottom-up where `f` declines (returns undefined) and replaced by `f`'s result
 * where it answers: the one structural map that passes and generators rewrite expressions with.
 */
export const rewriteExpr = (e: Expr, f: (n: Expr) => Expr | undefined): Expr => {
  const hit = f(e);
  if (hit !== undefined) return hit;
  switch (e.kind) {
    case "load":
      return { ...e, at: rewriteExpr(e.at, f) };
    case "alu":
      return { ...e, args: e.args.map((a) => rewriteExpr(a, f)) };
    case "reduce":
      return { ...e, body: rewriteExpr(e.body, f) };
    default:
      return e;
  }
};
