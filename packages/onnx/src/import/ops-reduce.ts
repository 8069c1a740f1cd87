import { isFloat } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import * as L from "@loom/ops";
import type { ConvertNode, Converter } from "./context";
import { inputAt, intsFromAttrOrInput, unsupported } from "./context";

/** The axes of a reduction: an attribute up to the op's axes-as-input opset, then input 1. */
const reduceAxes = (n: ConvertNode, x: Tensor): readonly number[] | "none" => {
  const axes = intsFromAttrOrInput(n, "axes", 1);
  if (axes === undefined || axes.length === 0) {
    return n.attrs.int("noop_with_empty_axes", 0) === 1 ? "none" : x.shape.map((_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + x.shape.length : a));
};

const reduce =
  (
    f: (x: Tensor, axes: readonly number[], keep: boolean) => Tensor,
    pre?: (x: Tensor) => Tensor,
  ): Converter =>
  (n) => {
    const x0 = inputAt(n, 0);
    const x = pre === undefined ? x0 : pre(x0);
    const axes = reduceAxes(n, x0);
    if (axes === "none") return [x];
    return [f(x, axes, n.attrs.int("keepdims", 1) === 1)];
  };

/** The product as exp(sum(log|x|)) with the sign from the count of negatives and 0 for any zero. */
const prod = (x: Tensor, axes: readonly number[], keep: boolean): Tensor => {
  const mag = L.exp(L.sum(L.log(L.abs(x)), axes, keep));
  const negatives = L.sum(L.cast(L.lt(x, 0), "int32"), axes, keep);
  const odd = L.eq(L.sub(negatives, L.mul(L.div(negatives, 2), 2)), 1);
  const signed = L.select(odd, L.neg(mag), mag);
  const r = L.select(
    L.gt(L.sum(L.cast(L.eq(x, 0), "int32"), axes, keep), 0),
    L.scalar(0, mag.dtype),
    signed,
  );
  return isFloat(x.dtype) ? r : L.cast(L.floor(L.add(r, 0.5)), x.dtype);
};

const mean = (x: Tensor, axes: readonly number[], keep: boolean) => {
  const m = L.mean(x, axes, keep);
  return m.dtype === x.dtype ? m : L.cast(m, x.dtype);
};

const argReduce =
  (f: (x: Tensor, axis: number) => Tensor): Converter =>
  (n) => {
    const x = inputAt(n, 0);
    const r = x.shape.length;
    const a0 = n.attrs.int("axis", 0);
    const a = a0 < 0 ? a0 + r : a0;
    const last = n.attrs.int("select_last_index", 0) === 1;
    const d = x.shape[a] as number;
    // The last extremum is the first one of the flipped axis, counted from the end.
    const idx = last ? L.sub(d - 1, f(L.flip(x, a), a)) : f(x, a);
    if (x.dtype === "bool") throw unsupported(n, "bool inputs");
    return [n.attrs.int("keepdims", 1) === 1 ? L.expandDims(idx, a) : idx];
  };

/** Converters of ONNX's reductions, by op type. */
export const reduceConverters: Readonly<Record<string, Converter>> = {
  ReduceSum: reduce(L.sum),
  ReduceMean: reduce(mean),
  ReduceMax: reduce(L.max),
  ReduceMin: reduce(L.min),
  ReduceProd: reduce(prod),
  ReduceSumSquare: reduce(L.sum, L.square),
  ReduceL1: reduce(L.sum, L.abs),
  ReduceL2: reduce((x, a, k) => {
    const s = L.sqrt(L.sum(isFloat(x.dtype) ? x : L.cast(x, "float32"), a, k));
    return isFloat(x.dtype) ? s : L.cast(L.floor(L.add(s, 0.5)), x.dtype);
  }, L.square),
  ReduceLogSum: reduce((x, a, k) => L.log(L.sum(x, a, k))),
  ReduceLogSumExp: reduce((x, a, k) => L.logSumExp(x, a, k)),
  ArgMax: argReduce(L.argmax),
  ArgMin: argReduce(L.argmin),
};
