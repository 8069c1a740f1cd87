import type { DType } from "@loom/graph";
import { isFloat } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import * as L from "@loom/ops";
import { loomDType } from "../proto";
import type { ConvertNode, Converter } from "./context";
import { inputAt, unsupported } from "./context";

/** A one-input op applied elementwise. */
const unary =
  (f: (x: Tensor, n: ConvertNode) => Tensor): Converter =>
  (n) => [f(inputAt(n, 0), n)];

/** A two-input op with NumPy broadcasting. */
const binary =
  (f: (a: Tensor, b: Tensor) => Tensor): Converter =>
  (n) => [f(inputAt(n, 0), inputAt(n, 1))];

/** A variadic op (Sum, Max, ...) folded left over its inputs. */
const variadic =
  (f: (a: Tensor, b: Tensor) => Tensor): Converter =>
  (n) => {
    const xs = n.inputs.filter((t): t is Tensor => t !== undefined);
    return [xs.slice(1).reduce(f, xs[0]!)];
  };

/** PRelu's slope: broadcast as NumPy does, or (older exporters) a `[C]` vector per channel of `[N, C, ...]`. */
const perChannelSlope = (x: Tensor, slope: Tensor): Tensor =>
  slope.shape.length === 1 &&
  x.shape.length > 2 &&
  slope.shape[0] === x.shape[1] &&
  slope.shape[0] !== x.shape[x.shape.length - 1]
    ? L.reshape(slope, [slope.shape[0]!, ...x.shape.slice(2).map(() => 1)])
    : slope;

const scalarLike = (x: Tensor, v: number) => L.scalar(v, x.dtype);

const hardSigmoid = (x: Tensor, alpha: number, beta: number) =>
  L.minimum(L.maximum(L.add(L.mul(x, alpha), beta), 0), 1);

const elu = (x: Tensor, alpha: number) => L.select(L.gt(x, 0), x, L.mul(L.sub(L.exp(x), 1), alpha));

// ONNX's Selu defaults, to float32 precision as the spec writes them.
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** Clip's bounds: attributes up to opset 6, optional inputs from 11. */
const clip: Converter = (n) => {
  const x = inputAt(n, 0);
  if (n.opset < 11) {
    return [
      L.minimum(
        L.maximum(x, n.attrs.float("min", -3.4028234663852886e38)),
        n.attrs.float("max", 3.4028234663852886e38),
      ),
    ];
  }
  const lo = n.inputs[1];
  const hi = n.inputs[2];
  const low = lo === undefined ? x : L.maximum(x, lo);
  return [hi === undefined ? low : L.minimum(low, hi)];
};

/** Pow casts the exponent to the base's type, as ONNX allows mixed types. */
const pow: Converter = (n) => {
  const x = inputAt(n, 0);
  const y = inputAt(n, 1);
  const base = isFloat(x.dtype) ? x : L.cast(x, "float32");
  const out = L.pow(base, L.cast(y, base.dtype));
  return [x.dtype === out.dtype ? out : L.cast(L.floor(L.add(out, 0.5)), x.dtype)];
};

const castTo = (n: ConvertNode, code: number): Tensor => {
  const dtype: DType | undefined = loomDType(code);
  if (dtype === undefined) throw unsupported(n, `casting to ONNX element type ${code}`);
  const x = inputAt(n, 0);
  // ONNX casts float to int by truncation and to bool by `!= 0`, as loom's cast does.
  return L.cast(x, dtype);
};

/** ONNX's Mod: integer modulo takes the divisor's sign (fmod=0); fmod=1 the dividend's. */
const mod: Converter = (n) => {
  const [a, b] = [inputAt(n, 0), inputAt(n, 1)];
  const fmod = n.attrs.int("fmod", 0) === 1;
  const r = L.sub(a, L.mul(L.div(a, b), b));
  if (fmod || !isFloat(a.dtype)) {
    if (fmod) {
      const t = isFloat(a.dtype) ? L.sub(a, L.mul(truncate(L.div(a, b)), b)) : r;
      return [t];
    }
    return [L.select(L.bitwiseAnd(L.ne(r, 0), L.ne(L.lt(r, 0), L.lt(b, 0))), L.add(r, b), r)];
  }
  throw unsupported(n, "fmod=0 on floats");
};

const truncate = (x: Tensor) => L.select(L.lt(x, 0), L.neg(L.floor(L.neg(x))), L.floor(x));

const ceil = (x: Tensor) => L.neg(L.floor(L.neg(x)));

/** ONNX's Round: half to even. */
const round = (x: Tensor) => {
  const f = L.floor(x);
  const d = L.sub(x, f);
  const even = L.eq(L.sub(f, L.mul(L.floor(L.div(f, 2)), 2)), 0);
  return L.select(
    L.gt(d, 0.5),
    L.add(f, 1),
    L.select(L.lt(d, 0.5), f, L.select(even, f, L.add(f, 1))),
  );
};

/** Converters of ONNX's elementwise ops, by op type. */
export const elementwiseConverters: Readonly<Record<string, Converter>> = {
  Add: binary(L.add),
  Sub: binary(L.sub),
  Mul: binary(L.mul),
  Div: binary(L.div),
  Pow: pow,
  Mod: mod,
  Neg: unary(L.neg),
  Abs: unary(L.abs),
  Sign: unary(L.sign),
  Exp: unary(L.exp),
  Log: unary(L.log),
  Sqrt: unary(L.sqrt),
  Reciprocal: unary(L.reciprocal),
  Sin: unary(L.sin),
  Cos: unary(L.cos),
  Tan: unary((x) => L.div(L.sin(x), L.cos(x))),
  Floor: unary(L.floor),
  Ceil: unary(ceil),
  Round: unary(round),
  Relu: unary(L.relu),
  LeakyRelu: unary((x, n) => L.leakyRelu(x, n.attrs.float("alpha", 0.01))),
  PRelu: binary((x, slope) => L.select(L.lt(x, 0), L.mul(x, perChannelSlope(x, slope)), x)),
  ThresholdedRelu: unary((x, n) =>
    L.select(L.gt(x, n.attrs.float("alpha", 1)), x, scalarLike(x, 0)),
  ),
  Sigmoid: unary(L.sigmoid),
  HardSigmoid: unary((x, n) =>
    hardSigmoid(x, n.attrs.float("alpha", 0.2), n.attrs.float("beta", 0.5)),
  ),
  HardSwish: unary((x) => L.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  Tanh: unary(L.tanh),
  Softplus: unary((x) => L.softplus(x)),
  Softsign: unary((x) => L.div(x, L.add(L.abs(x), 1))),
  Elu: unary((x, n) => elu(x, n.attrs.float("alpha", 1))),
  Celu: unary((x, n) => {
    const alpha = n.attrs.float("alpha", 1);
    return L.add(L.maximum(x, 0), L.minimum(L.mul(L.sub(L.exp(L.div(x, alpha)), 1), alpha), 0));
  }),
  Selu: unary((x, n) =>
    L.mul(elu(x, n.attrs.float("alpha", SELU_ALPHA)), n.attrs.float("gamma", SELU_GAMMA)),
  ),
  Clip: clip,
  Min: variadic(L.minimum),
  Max: variadic(L.maximum),
  Sum: variadic(L.add),
  Mean: (n) => {
    const xs = n.inputs.filter((t): t is Tensor => t !== undefined);
    return [L.div(xs.slice(1).reduce(L.add, xs[0]!), xs.length)];
  },
  Where: (n) => [L.select(inputAt(n, 0), inputAt(n, 1), inputAt(n, 2))],
  Equal: binary(L.eq),
  Less: binary(L.lt),
  LessOrEqual: binary(L.le),
  Greater: binary(L.gt),
  GreaterOrEqual: binary(L.ge),
  Not: unary(L.bitwiseNot),
  And: binary(L.bitwiseAnd),
  Or: binary(L.bitwiseOr),
  Xor: binary(L.bitwiseXor),
  IsNaN: unary((x) => L.ne(x, x)),
  IsInf: unary((x, n) => {
    const pos = n.attrs.int("detect_positive", 1) === 1;
    const negv = n.attrs.int("detect_negative", 1) === 1;
    const p = L.eq(x, Infinity);
    const m = L.eq(x, -Infinity);
    return pos && negv ? L.bitwiseOr(p, m) : pos ? p : negv ? m : L.bitwiseAnd(p, m);
  }),
  Cast: (n) => [castTo(n, n.attrs.int("to", 1))],
  CastLike: (n) => [L.cast(inputAt(n, 0), inputAt(n, 1).dtype)],
  Identity: unary((x) => x),
};
