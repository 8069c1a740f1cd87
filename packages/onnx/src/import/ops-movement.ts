import type { Dim } from "@loom/graph";
import { numel } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import * as L from "@loom/ops";
import type { Converter } from "./context";
import { constantOf, inputAt, intsFromAttrOrInput, needStatic, unsupported } from "./context";
import { needDims, shapeValues } from "./symbolic-dims";

const INT32_MAX = 2147483647;

const rankOf = (x: Tensor) => x.shape.length;
const norm = (a: number, r: number) => (a < 0 ? a + r : a);

const reshape: Converter = (n) => {
  const x = inputAt(n, 0);
  const target = n.opset < 5 ? n.attrs.ints("shape")! : needDims(n, 1, "shape");
  const allowZero = n.attrs.int("allowzero", 0) === 1;
  // 0 copies the input's dim (unless allowzero); -1 is inferred, as loom's reshape does.
  const shape: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
  return [L.reshape(x, shape)];
};

const flatten: Converter = (n) => {
  const x = inputAt(n, 0);
  const a = norm(n.attrs.int("axis", 1), rankOf(x));
  // A symbolic side stays a symbol (a batch) or is inferred from the other side.
  const size = (ds: readonly Dim[]): Dim =>
    ds.length === 1 ? ds[0]! : ds.every((d) => typeof d === "number") ? numel(ds as number[]) : -1;
  return [L.reshape(x, [size(x.shape.slice(0, a)), size(x.shape.slice(a))])];
};

/** ONNX's Slice: starts/ends clamp, negative steps walk backwards (a flip and a forward slice). */
const slice: Converter = (n) => {
  const x = inputAt(n, 0);
  const r = rankOf(x);
  const starts = intsFromAttrOrInput(n, "starts", 1)!;
  const ends = intsFromAttrOrInput(n, "ends", 2)!;
  const axes = (intsFromAttrOrInput(n, "axes", 3) ?? starts.map((_, i) => i)).map((a) =>
    norm(a, r),
  );
  const steps =
    (n.opset >= 10 && n.inputs[4] !== undefined ? needStatic(n, 4, "steps") : undefined) ??
    starts.map(() => 1);
  const begin = x.shape.map(() => 0);
  const end: (number | null)[] = x.shape.map(() => null);
  const step = x.shape.map(() => 1);
  const flipAxes: number[] = [];
  axes.forEach((a, i) => {
    const d = x.shape[a] as number;
    const s = steps[i]!;
    const clampIdx = (v: number, lo: number, hi: number) =>
      Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    if (s > 0) {
      begin[a] = clampIdx(starts[i]!, 0, d);
      end[a] = Math.max(clampIdx(ends[i]! >= INT32_MAX ? d : ends[i]!, 0, d), begin[a]!);
      step[a] = s;
    } else {
      // Backwards from start (clamped to d-1) down to end (exclusive, clamped to -1): in the
      // flipped axis that is index d-1-start up to d-1-end.
      const st = clampIdx(starts[i]!, -1, d - 1);
      const en = ends[i]! <= -INT32_MAX ? -1 : clampIdx(ends[i]!, -1, d - 1);
      flipAxes.push(a);
      begin[a] = d - 1 - st;
      end[a] = Math.max(d - 1 - en, begin[a]!);
      step[a] = -s;
    }
  });
  return [L.slice(L.flip(x, flipAxes), begin, end, step)];
};

const pad: Converter = (n) => {
  const x = inputAt(n, 0);
  const mode = n.attrs.string("mode", "constant");
  if (!["constant", "edge", "reflect"].includes(mode)) throw unsupported(n, `mode "${mode}"`);
  const pads = n.opset < 11 ? n.attrs.ints("pads")! : needStatic(n, 1, "pads");
  const value =
    n.opset < 11
      ? n.attrs.float("value", 0)
      : n.inputs[2] === undefined
        ? 0
        : needStatic(n, 2, "constant_value")[0]!;
  const r = rankOf(x);
  const axes =
    n.inputs[3] === undefined
      ? x.shape.map((_, i) => i)
      : needStatic(n, 3, "axes").map((a) => norm(a, r));
  const pairs: [number, number][] = x.shape.map(() => [0, 0]);
  axes.forEach((a, i) => (pairs[a] = [pads[i]!, pads[i + axes.length]!]));
  // Negative pads crop.
  const cropped = L.slice(
    x,
    pairs.map(([lo]) => Math.max(0, -lo)),
    pairs.map(([, hi], i) => (hi < 0 ? (x.shape[i] as number) + hi : null)),
  );
  const grow = pairs.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as const);
  if (mode === "constant") return [L.pad(cropped, grow, value)];
  return [grow.reduce((t, [lo, hi], a) => padAxis(t, a, lo, hi, mode), cropped)];
};

/** Pads one axis by repeating its edge ("edge") or mirroring it without the edge ("reflect"). */
const padAxis = (x: Tensor, a: number, lo: number, hi: number, mode: string): Tensor => {
  if (lo === 0 && hi === 0) return x;
  const d = x.shape[a] as number;
  const take = (from: number, to: number) =>
    L.slice(
      x,
      x.shape.map((_, k) => (k === a ? from : 0)),
      x.shape.map((_, k) => (k === a ? to : null)),
    );
  const side = (count: number, at: number, from: number, to: number): Tensor[] => {
    if (count === 0) return [];
    if (mode === "edge") {
      const edge = take(at, at + 1);
      return [
        L.broadcastTo(
          edge,
          edge.shape.map((s, k) => (k === a ? count : s)),
        ),
      ];
    }
    return [L.flip(take(from, to), a)];
  };
  return L.concat([...side(lo, 0, 1, lo + 1), x, ...side(hi, d - 1, d - 1 - hi, d - 1)], a);
};

const squeeze: Converter = (n) => {
  const axes = intsFromAttrOrInput(n, "axes", 1);
  return [L.squeeze(inputAt(n, 0), axes)];
};

const unsqueeze: Converter = (n) => {
  const x = inputAt(n, 0);
  const axes = intsFromAttrOrInput(n, "axes", 1)!;
  const r = rankOf(x) + axes.length;
  const at = new Set(axes.map((a) => norm(a, r)));
  const src = [...x.shape];
  return [
    L.reshape(
      x,
      Array.from({ length: r }, (_, i) => (at.has(i) ? 1 : src.shift()!)),
    ),
  ];
};

const expand: Converter = (n) => {
  const x = inputAt(n, 0);
  const shape = needDims(n, 1, "shape");
  // Expand broadcasts both ways: the result has the NumPy broadcast of both shapes.
  const ones = L.broadcastTo(L.scalar(0, x.dtype), shape);
  return [L.broadcastAll("Expand", [x, ones])[0]!];
};

/** Gather with constant indices: slices of the axis, stacked, reshaped to the indices' shape. */
const gather: Converter = (n) => {
  const x = inputAt(n, 0);
  const r = rankOf(x);
  const a = norm(n.attrs.int("axis", 0), r);
  const d = x.shape[a] as number;
  const idxT = inputAt(n, 1);
  const idx = needStatic(n, 1, "indices").map((i) => (i < 0 ? i + d : i));
  const begin = (i: number) => x.shape.map((_, k) => (k === a ? i : 0));
  const end = (i: number) => x.shape.map((_, k) => (k === a ? i + 1 : null));
  const picked =
    idx.length === 0
      ? L.slice(
          x,
          begin(0),
          end(0).map((e, k) => (k === a ? 0 : e)),
        )
      : L.concat(
          idx.map((i) => L.slice(x, begin(i), end(i))),
          a,
        );
  return [L.reshape(picked, [...x.shape.slice(0, a), ...idxT.shape, ...x.shape.slice(a + 1)])];
};

const constantNode: Converter = (n) => {
  const t = n.attrs.tensor("value");
  if (t !== undefined) return [constantOf(t)];
  if (n.attrs.has("value_float")) return [L.scalar(n.attrs.float("value_float", 0))];
  if (n.attrs.has("value_int")) return [L.scalar(n.attrs.int("value_int", 0), "int32")];
  const fs = n.attrs.floats("value_floats");
  if (fs !== undefined) return [L.constant([...fs], [fs.length])];
  const is = n.attrs.ints("value_ints");
  if (is !== undefined) return [L.constant([...is], [is.length], "int32")];
  throw unsupported(n, "a value of this kind (sparse or string)");
};

const constantOfShape: Converter = (n) => {
  const shape = needStatic(n, 0, "shape");
  const v = n.attrs.tensor("value");
  const value = v === undefined ? 0 : v.data[0]!;
  return [L.broadcastTo(L.scalar(value, v?.dtype ?? "float32"), shape)];
};

const shapeOf: Converter = (n) => {
  const x = inputAt(n, 0);
  const r = rankOf(x);
  const clampR = (v: number) => Math.min(Math.max(norm(v, r), 0), r);
  const dims = x.shape.slice(clampR(n.attrs.int("start", 0)), clampR(n.attrs.int("end", r)));
  return [L.constant(shapeValues(n, dims), [dims.length], "int32")];
};

const split: Converter = (n) => {
  const x = inputAt(n, 0);
  const a = norm(n.attrs.int("axis", 0), rankOf(x));
  const d = x.shape[a] as number;
  const given =
    n.opset < 13
      ? n.attrs.ints("split")
      : n.inputs[1] === undefined
        ? undefined
        : needStatic(n, 1, "split");
  const parts = n.outputCount;
  const sizes =
    given ??
    Array.from({ length: parts }, (_, i) =>
      Math.min(Math.ceil(d / parts), d - i * Math.ceil(d / parts)),
    );
  let at = 0;
  return sizes.map((s) => {
    const out = L.slice(
      x,
      x.shape.map((_, k) => (k === a ? at : 0)),
      x.shape.map((_, k) => (k === a ? at + s : null)),
    );
    at += s;
    return out;
  });
};

const tile: Converter = (n) => {
  const x = inputAt(n, 0);
  const reps = needStatic(n, 1, "repeats");
  return [
    reps.reduce(
      (acc, k, a) =>
        k === 1
          ? acc
          : L.concat(
              Array.from({ length: k }, () => acc),
              a,
            ),
      x,
    ),
  ];
};

const range: Converter = (n) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => needStatic(n, i, "range bound")[0]!) as [
    number,
    number,
    number,
  ];
  const count = Math.max(Math.ceil((limit - start) / delta), 0);
  const dtype = inputAt(n, 0).dtype;
  return [
    L.constant(
      Array.from({ length: count }, (_, i) => start + i * delta),
      [count],
      dtype,
    ),
  ];
};

/** Converters of ONNX's movement and shape ops, by op type. */
export const movementConverters: Readonly<Record<string, Converter>> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: (n) => [L.transpose(inputAt(n, 0), n.attrs.ints("perm"))],
  Concat: (n) => [
    L.concat(
      n.inputs.filter((t): t is Tensor => t !== undefined),
      n.attrs.int("axis", 0),
    ),
  ],
  Slice: slice,
  Pad: pad,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Expand: expand,
  Gather: gather,
  Constant: constantNode,
  ConstantOfShape: constantOfShape,
  Shape: shapeOf,
  Size: (n) => [L.scalar(numel(shapeValues(n, inputAt(n, 0).shape)), "int32")],
  Split: split,
  Tile: tile,
  Range: range,
};
