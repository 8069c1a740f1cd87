import * as E from "fp-ts/lib/Either.js";
import type {
  AluOp,
  Attrs,
  BuildNode,
  DType,
  ElementwiseDef,
  Expr,
  LoomError,
  Node,
  RewriteContext,
  Shape,
  TensorType,
  VjpRule,
} from "@loom/graph";
import { alu, fail, formatType, isFloat, shapeEq } from "@loom/graph";

/** No attributes. */
export type NoAttrs = Record<string, never>;

/** Which dtypes an elementwise op accepts. */
export type DTypeClass = "float" | "numeric" | "int" | "bool" | "any";

const inClass = (d: DType, c: DTypeClass): boolean =>
  c === "any" ||
  (c === "float" && isFloat(d)) ||
  (c === "numeric" && d !== "bool") ||
  (c === "int" && d === "int32") ||
  (c === "bool" && d === "bool");

const CLASS_HINT: Readonly<Record<DTypeClass, string>> = {
  float: "a float tensor (cast integers with cast(x, 'float32'))",
  numeric: "a numeric tensor (cast bools first)",
  int: "an int32 tensor",
  bool: "a bool tensor",
  any: "any tensor",
};

/**
 * The type rule of an elementwise op: `arity` inputs of one shape and one dtype of class
 * `accepts`; the result has that shape and the input dtype (or `result` when given).
 */
export const elementwiseInfer =
  (op: string, arity: number, accepts: DTypeClass, result?: DType) =>
  (inputs: readonly TensorType[]): E.Either<LoomError, TensorType> => {
    const shapes = inputs.map((t) => t.shape);
    if (inputs.length !== arity) {
      return fail("invalid_argument", op, `takes ${arity} inputs, got ${inputs.length}`, shapes);
    }
    const [first] = inputs;
    if (first === undefined) return fail("invalid_argument", op, "needs an input");
    for (const t of inputs) {
      if (!shapeEq(t.shape, first.shape)) {
        return fail(
          "shape_mismatch",
          op,
          `inputs must have equal shapes, got ${inputs.map(formatType).join(" and ")}; broadcast them first (the public ops do)`,
          shapes,
        );
      }
      if (t.dtype !== first.dtype) {
        return fail(
          "dtype_mismatch",
          op,
          `inputs must have one dtype, got ${inputs.map(formatType).join(" and ")}; cast one of them`,
          shapes,
        );
      }
      if (!inClass(t.dtype, accepts)) {
        return fail(
          "dtype_mismatch",
          op,
          `needs ${CLASS_HINT[accepts]}, got ${formatType(t)}`,
          shapes,
        );
      }
    }
    return E.right({ shape: first.shape, dtype: result ?? first.dtype });
  };

/** A unary elementwise primitive whose scalar expression is one ALU op. */
export const unaryDef = (
  name: string,
  op: AluOp,
  accepts: DTypeClass,
  vjp: VjpRule<NoAttrs>,
): ElementwiseDef<NoAttrs> => ({
  name,
  fusion: "elementwise",
  infer: elementwiseInfer(name, 1, accepts),
  scalar: ([x]) => alu(op, [x!]),
  vjp,
});

/** A binary elementwise primitive whose scalar expression is one ALU op. */
export const binaryDef = (
  name: string,
  op: AluOp,
  accepts: DTypeClass,
  vjp: VjpRule<NoAttrs>,
  result?: DType,
): ElementwiseDef<NoAttrs> => ({
  name,
  fusion: "elementwise",
  infer: elementwiseInfer(name, 2, accepts, result),
  scalar: ([a, b]): Expr => alu(op, [a!, b!], result),
  vjp,
});

/** The VJP of an op that gets no gradient through any input (comparisons, integer ops). */
export const noGrad: VjpRule<Attrs> = ({ inputs }) => inputs.map(() => undefined);

/**
 * The type rule of the bitwise ops: like `elementwiseInfer` with any dtype, then rejecting
 * floats, so int32 gets bitwise and bool gets logical semantics.
 */
export const bitwiseInfer =
  (op: string, arity: number) =>
  (inputs: readonly TensorType[]): E.Either<LoomError, TensorType> => {
    const r = elementwiseInfer(op, arity, "any")(inputs);
    if (E.isRight(r) && isFloat(r.right.dtype)) {
      return fail(
        "dtype_mismatch",
        op,
        `needs int32 or bool tensors, got ${inputs.map(formatType).join(" and ")}; cast floats first`,
        inputs.map((t) => t.shape),
      );
    }
    return r;
  };

/** A bitwise elementwise primitive (`arity` int32 or bool inputs) whose scalar is one ALU op. */
export const bitwiseDef = (name: string, op: AluOp, arity: 1 | 2): ElementwiseDef<NoAttrs> => ({
  name,
  fusion: "elementwise",
  infer: bitwiseInfer(name, arity),
  scalar: (xs) => alu(op, xs.slice(0, arity) as Expr[]),
  vjp: noGrad,
});

/** A tensor of `shape` filled with `value`: a broadcast scalar, so the fill costs no buffer. */
export const full = (prim: BuildNode, shape: Shape, value: number, dtype: DType): Node => {
  const s = prim("constant", [], { data: [value], shape: [], dtype });
  return shape.length === 0 ? s : prim("broadcast", [s], { shape: [...shape] });
};

/** Zeros of `x`'s type: the cotangent of an input whose derivative is zero almost everywhere. */
export const zerosLike = (prim: BuildNode, x: TensorType): Node => full(prim, x.shape, 0, x.dtype);

/**
 * Restricts a VJP rule to float inputs: when the first input is not float (integer mul, say)
 * no input gets a cotangent, since only floats carry gradients.
 */
export const floatVjp =
  <A extends Attrs>(vjp: VjpRule<A>): VjpRule<A> =>
  (ctx) =>
    isFloat(ctx.inputs[0]!.dtype) ? vjp(ctx) : ctx.inputs.map(() => undefined);

/**
 * The VJP of `maximum` (`wins` = "gt") or `minimum` (`wins` = "lt"): the cotangent goes to `a`
 * where `wins(out, b)` and to `b` elsewhere. The mask reads the output, not `a`: `wins(out, b)`
 * equals `wins(a, b)` (NaNs included), and then `a` dies after the forward pass, so
 * `relu(conv(x))` fuses into one kernel.
 */
export const extremumVjp = (wins: "gt" | "lt"): VjpRule<NoAttrs> =>
  floatVjp(({ prim, ct, out, inputs: [, b] }) => {
    const aWins = prim(wins, [out, b!]);
    const zero = zerosLike(prim, ct);
    return [prim("select", [aWins, ct, zero]), prim("select", [aWins, zero, ct])];
  });

/**
 * The rewrite of a view op that only its last application matters for (reshape, broadcast):
 * to the input's own shape it is the input, and a chain of them is one.
 */
export const collapseChain =
  <A extends Attrs>(name: string) =>
  ({
    node: {
      inputs: [a],
    },
    attrs,
    keep,
    remake,
  }: RewriteContext<A>): Node | undefined => {
    if (a === undefined) return undefined;
    if (a.op !== name) return keep(a);
    const x = a.inputs[0]!;
    return keep(x) ?? remake(x, attrs);
  };
