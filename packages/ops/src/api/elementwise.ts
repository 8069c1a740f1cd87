import type { DType, Dim, Shape } from "@loom/graph";
import { broadcastShapes, formatShape, LoomError, shapeEq } from "@loom/graph";
import type { Tensor, TensorLike } from "../core";
import { isTensor, prim, scalar } from "../core";
import type { PrimitiveName } from "../table";
import { checkOperand } from "../graph-operand";

/** Makes a tensor of a tensor-like: numbers become scalars of `dtype`. */
export const asTensor = (x: TensorLike, dtype: DType = "float32"): Tensor =>
  isTensor(x) ? x : scalar(x, dtype);

/** Broadcasts `x` to `shape` (NumPy's rule); a no-op when the shape already matches. */
export const broadcastTo = (x: Tensor, shape: Shape): Tensor =>
  shapeEq(x.shape, shape) ? x : prim("broadcast", [x], { shape: [...shape] });

/**
 * Brings operands to one shape and dtype as NumPy would: numbers take the dtype of the
 * tensor operands; tensors of different dtypes must be cast explicitly.
 */
export const broadcastAll = (op: string, xs: readonly TensorLike[]): Tensor[] => {
  for (const x of xs) checkOperand(op, x);
  const tensors = xs.filter(isTensor);
  const dtype = tensors[0]?.dtype ?? "float32";
  const ts = xs.map((x) => asTensor(x, dtype));
  let shape: Dim[] = [];
  for (const t of ts) {
    const s = broadcastShapes(shape, t.shape);
    if (s === undefined) {
      throw new LoomError(
        "shape_mismatch",
        op,
        `shapes ${ts.map((u) => formatShape(u.shape)).join(" and ")} do not broadcast: aligned on the right, each dim pair must be equal or contain a 1`,
        ts.map((u) => u.shape),
      );
    }
    shape = s;
  }
  return ts.map((t) => broadcastTo(t, shape));
};

const binary =
  (op: PrimitiveName) =>
  (a: TensorLike, b: TensorLike): Tensor =>
    prim(op, broadcastAll(op, [a, b]));

const unary =
  (op: PrimitiveName) =>
  (x: Tensor): Tensor =>
    prim(op, [x]);

/** Elementwise `a + b` with broadcasting. */
export const add = binary("add");
/** Elementwise `a - b` with broadcasting. */
export const sub = binary("sub");
/** Elementwise `a * b` with broadcasting. */
export const mul = binary("mul");
/** Elementwise `a / b` with broadcasting (truncating for int32). */
export const div = binary("div");
/** Elementwise maximum with broadcasting. */
export const maximum = binary("maximum");
/** Elementwise minimum with broadcasting. */
export const minimum = binary("minimum");
/** Elementwise `a ** b` with broadcasting. */
export const pow = binary("pow");
/** Elementwise remainder with the dividend's sign. */
export const mod = binary("mod");
/** Elementwise `a == b` (bool). */
export const eq = binary("eq");
/** Elementwise `a != b` (bool). */
export const ne = binary("ne");
/** Elementwise `a < b` (bool). */
export const lt = binary("lt");
/** Elementwise `a <= b` (bool). */
export const le = binary("le");
/** Elementwise `a > b` (bool). */
export const gt = binary("gt");
/** Elementwise `a >= b` (bool). */
export const ge = binary("ge");
/** Bitwise and (logical and on bool). */
export const bitwiseAnd = binary("bitwise_and");
/** Bitwise or (logical or on bool). */
export const bitwiseOr = binary("bitwise_or");
/** Bitwise xor (logical xor on bool). */
export const bitwiseXor = binary("bitwise_xor");
/** Shift left of int32. */
export const shiftLeft = binary("shift_left");
/** Logical (unsigned) shift right of int32. */
export const shiftRightLogical = binary("shift_right_logical");

/** Elementwise `-x`. */
export const neg = unary("neg");
/** Elementwise `|x|`. */
export const abs = unary("abs");
/** Elementwise sign (-1, 0, 1). */
export const sign = unary("sign");
/** Elementwise `e^x`. */
export const exp = unary("exp");
/** Elementwise natural logarithm. */
export const log = unary("log");
/** Elementwise square root. */
export const sqrt = unary("sqrt");
/** Elementwise `1/x`. */
export const reciprocal = unary("recip");
/** Elementwise sine. */
export const sin = unary("sin");
/** Elementwise cosine. */
export const cos = unary("cos");
/** Elementwise hyperbolic tangent. */
export const tanh = unary("tanh");
/** Elementwise floor. */
export const floor = unary("floor");
/** Bitwise not (logical not on bool). */
export const bitwiseNot = unary("bitwise_not");

/** `cond ? a : b` elementwise, with broadcasting of all three. */
export const select = (cond: Tensor, a: TensorLike, b: TensorLike): Tensor => {
  const [c, x, y] = broadcastAll("select", [cond, ...broadcastAll("select", [a, b])]);
  return prim("select", [c!, x!, y!]);
};

/** Converts to another dtype (float to int truncates toward zero; to bool is `!= 0`). */
export const cast = (x: Tensor, dtype: DType): Tensor =>
  x.dtype === dtype ? x : prim("cast", [x], { dtype });

/** The indices along `axis` of a tensor of `shape`: `iota([2,3], 1)` is `[[0,1,2],[0,1,2]]`. */
export const iota = (shape: Shape, axis = 0, dtype: DType = "int32"): Tensor =>
  prim("iota", [], { shape: [...shape], axis, dtype });

/** `x * x`. */
export const square = (x: Tensor): Tensor => mul(x, x);
/** `1 / sqrt(x)`. */
export const rsqrt = (x: Tensor): Tensor => reciprocal(sqrt(x));
/** Rectified linear unit `max(x, 0)`. */
export const relu = (x: Tensor): Tensor => maximum(x, 0);
/** Leaky ReLU: `x` for x > 0, else `slope * x`. */
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => select(gt(x, 0), x, mul(x, slope));
/** Clamps to `[lo, hi]`. */
export const clip = (x: Tensor, lo: number, hi: number): Tensor => minimum(maximum(x, lo), hi);
