import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Attrs, Dim, Shape, TensorType } from "@loom/graph";
import { fail, formatShape, formatType, isFloat, LoomError } from "@loom/graph";

/**
 * Shared attribute and input validation of the library ops (convolution and pooling). Every
 * check returns a LoomError rather than letting a malformed attribute surface later as a
 * TypeError or an `undefined` deep in a kernel.
 */

/** A pair of sizes along (height, width). */
export type Pair = [number, number];

/** Paddings `[top, bottom, left, right]`. */
export type Pad4 = [number, number, number, number];

/**
 * The spatial output size of a sliding window (convolution or pooling) along one axis:
 * `floor((in + padLo + padHi - dilation*(k-1) - 1) / stride) + 1`, as in PyTorch and ONNX.
 * With `ceil` (pooling's `ceilMode`) the division rounds up, minus one window if the last
 * would start in the trailing padding (`(out-1)*stride >= in + padLo`), PyTorch's rule.
 * Zero or negative when the dilated kernel does not fit in the padded input.
 */
export const convOutputSize = (
  inSize: number,
  k: number,
  stride: number,
  padLo: number,
  padHi: number,
  dilation: number,
  ceil = false,
): number => {
  const span = inSize + padLo + padHi - dilation * (k - 1) - 1;
  if (!ceil) return Math.floor(span / stride) + 1;
  const out = Math.floor((span + stride - 1) / stride) + 1;
  return (out - 1) * stride >= inSize + padLo ? out - 1 : out;
};

const isInt = (v: unknown, min: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/** Reads an integer-array attribute of fixed length whose items are all `>= min`. */
export const intArrayAttr = <T extends number[]>(
  op: string,
  attrs: Attrs,
  key: string,
  length: number,
  min: number,
  shapes: readonly Shape[],
): E.Either<LoomError, T> => {
  const v = attrs[key];
  if (Array.isArray(v) && v.length === length && v.every((d) => isInt(d, min))) {
    return E.right([...(v as number[])] as T);
  }
  const what = min > 0 ? "positive integers" : "non-negative integers";
  return fail(
    "invalid_attr",
    op,
    `attribute ${key} must be an array of ${length} ${what}, got ${JSON.stringify(v) ?? "undefined"}`,
    shapes,
  );
};

/** Reads a positive integer attribute (`groups`). */
export const positiveIntAttr = (
  op: string,
  attrs: Attrs,
  key: string,
  shapes: readonly Shape[],
): E.Either<LoomError, number> => {
  const v = attrs[key];
  return isInt(v, 1)
    ? E.right(v)
    : fail(
        "invalid_attr",
        op,
        `attribute ${key} must be a positive integer, got ${JSON.stringify(v) ?? "undefined"}`,
        shapes,
      );
};

/** Reads a boolean attribute. */
export const boolAttr = (
  op: string,
  attrs: Attrs,
  key: string,
  shapes: readonly Shape[],
): E.Either<LoomError, boolean> => {
  const v = attrs[key];
  return typeof v === "boolean"
    ? E.right(v)
    : fail(
        "invalid_attr",
        op,
        `attribute ${key} must be true or false, got ${JSON.stringify(v) ?? "undefined"}`,
        shapes,
      );
};

/** Reads an optional boolean attribute; absent means false. */
export const optionalBoolAttr = (
  op: string,
  attrs: Attrs,
  key: string,
  shapes: readonly Shape[],
): E.Either<LoomError, boolean> =>
  attrs[key] === undefined ? E.right(false) : boolAttr(op, attrs, key, shapes);

/** `{ ceilMode: true }` when set, else nothing: pooling attributes carry the key only when it matters. */
export const ceilModeAttr = (a: { readonly ceilMode?: boolean }): { ceilMode?: true } =>
  a.ceilMode === true ? { ceilMode: true } : {};

/** Rejects attributes that are not a plain object (a rule must never destructure `null`). */
export const attrsObject = (op: string, attrs: unknown): E.Either<LoomError, Attrs> =>
  typeof attrs === "object" && attrs !== null && !Array.isArray(attrs)
    ? E.right(attrs as Attrs)
    : fail("invalid_attr", op, `attributes must be an object, got ${JSON.stringify(attrs)}`);

/** Checks that input `i` is a rank-4 float tensor with the dtype of the first input. */
const checkImage =
  (
    op: string,
    inputs: readonly TensorType[],
    names: readonly string[],
    layouts: readonly string[],
  ) =>
  (i: number, t: TensorType): E.Either<LoomError, TensorType> => {
    const shapes = inputs.map((u) => u.shape);
    if (t.shape.length !== 4) {
      return fail(
        "rank_mismatch",
        op,
        `${names[i]} must be rank 4 (${layouts[i]}), got ${formatShape(t.shape)}; reshape it (e.g. add a batch or channel axis)`,
        shapes,
      );
    }
    if (!isFloat(t.dtype)) {
      return fail(
        "dtype_mismatch",
        op,
        `${names[i]} must be float32 or float64, got ${formatType(t)}; cast it first`,
        shapes,
      );
    }
    return t.dtype === inputs[0]!.dtype
      ? E.right(t)
      : fail(
          "dtype_mismatch",
          op,
          `inputs must share one dtype, got ${inputs.map(formatType).join(" and ")}; cast one of them`,
          shapes,
        );
  };

/** Checks the input count, that each input is a rank-4 float tensor, and that all share one dtype. */
export const checkImageInputs = (
  op: string,
  inputs: readonly TensorType[],
  names: readonly string[],
  layouts: readonly string[],
): E.Either<LoomError, readonly TensorType[]> =>
  inputs.length === names.length
    ? E.traverseReadonlyArrayWithIndex(checkImage(op, inputs, names, layouts))(inputs)
    : fail(
        "invalid_argument",
        op,
        `takes ${names.length} inputs (${names.join(", ")}), got ${inputs.length}`,
        inputs.map((t) => t.shape),
      );

/** What every convolution and pooling rule starts from: its attributes and input shapes, checked. */
export interface ImageOp {
  readonly attrs: Attrs;
  readonly shapes: readonly Shape[];
}

/**
 * The shared head of the convolution and pooling rules: the attributes are an object and the
 * inputs (named `names`, laid out as `layouts`) rank-4 floats of one dtype.
 */
export const imageOp = (
  op: string,
  inputs: readonly TensorType[],
  rawAttrs: unknown,
  names: readonly string[],
  layouts: readonly string[],
): E.Either<LoomError, ImageOp> => {
  const shapes = inputs.map((t) => t.shape);
  return pipe(
    attrsObject(op, rawAttrs),
    E.chainFirst(() => checkImageInputs(op, inputs, names, layouts)),
    E.map((attrs) => ({ attrs, shapes })),
  );
};

/**
 * The start both convolution gradients' shape rules share: the image inputs and attributes,
 * the window, and `size`, the spatial size the inputs do not determine (`inputShape` of the
 * input gradient, `filterShape` of the filter gradient).
 */
export const convGradStart = (
  op: string,
  inputs: readonly TensorType[],
  rawAttrs: unknown,
  names: readonly string[],
  layouts: readonly string[],
  sizeAttr: "inputShape" | "filterShape",
) =>
  pipe(
    imageOp(op, inputs, rawAttrs, names, layouts),
    E.bind("win", ({ attrs, shapes }) => convWindow(op, attrs, shapes)),
    E.bind("size", ({ attrs, shapes }) => intArrayAttr<Pair>(op, attrs, sizeAttr, 2, 1, shapes)),
  );

/** Requires the listed axes of an input to be concrete numbers (only the batch axis may be a symbol). */
export const concreteDims = (
  op: string,
  name: string,
  shape: Shape,
  axes: readonly number[],
  shapes: readonly Shape[],
): E.Either<LoomError, number[]> => {
  const dims = axes.map((a) => shape[a]);
  return dims.every((d): d is number => typeof d === "number")
    ? E.right(dims)
    : fail(
        "unsupported",
        op,
        `${name} ${formatShape(shape)} must have concrete channel and spatial dims (only the batch dim may be symbolic)`,
        shapes,
      );
};

/**
 * The spatial output sizes of a window of (dilated) size `kernel` sliding over `[h, w]`, or a
 * LoomError when the kernel does not fit in the padded input.
 */
export const windowOutput = (
  op: string,
  hw: Pair,
  kernel: Pair,
  stride: Pair,
  pad: Pad4,
  dilation: Pair,
  shapes: readonly Shape[],
  ceil = false,
): E.Either<LoomError, Pair> => {
  const ho = convOutputSize(hw[0], kernel[0], stride[0], pad[0], pad[1], dilation[0], ceil);
  const wo = convOutputSize(hw[1], kernel[1], stride[1], pad[2], pad[3], dilation[1], ceil);
  if (ho >= 1 && wo >= 1) return E.right([ho, wo]);
  const eff = (a: 0 | 1) => dilation[a] * (kernel[a] - 1) + 1;
  return fail(
    "shape_mismatch",
    op,
    `window ${eff(0)}x${eff(1)} (kernel ${kernel.join("x")}, dilation ${dilation.join("x")}) does not fit in the padded input ${hw[0] + pad[0] + pad[1]}x${hw[1] + pad[2] + pad[3]} (input ${hw.join("x")}, pad ${JSON.stringify(pad)}); use a smaller kernel or more padding`,
    shapes,
  );
};

/** Checks that a gradient op's cotangent has the spatial size the forward op would produce. */
export const checkSpatial = (
  op: string,
  name: string,
  got: readonly Dim[],
  want: Pair,
  shapes: readonly Shape[],
): E.Either<LoomError, Pair> =>
  got[0] === want[0] && got[1] === want[1]
    ? E.right(want)
    : fail(
        "shape_mismatch",
        op,
        `${name} has spatial size ${got.join("x")}, but the forward op produces ${want.join("x")} for these attributes; check inputShape/filterShape, stride and padding`,
        shapes,
      );

/** Integer-array attributes to read, each as `[length, minimum item]`, in validation order. */
type IntArraySpec = Readonly<Record<string, readonly [2 | 4, number]>>;

/** The attributes of an `IntArraySpec`: pairs and paddings. */
type IntArrays<S extends IntArraySpec> = {
  readonly [K in keyof S]: S[K][0] extends 2 ? Pair : Pad4;
};

/** Reads the integer-array attributes of `spec` in order; the first invalid one is the error. */
const intArrayAttrs = <S extends IntArraySpec>(
  op: string,
  attrs: Attrs,
  spec: S,
  shapes: readonly Shape[],
): E.Either<LoomError, IntArrays<S>> =>
  pipe(
    Object.entries(spec),
    E.traverseArray(([key, [length, min]]) =>
      pipe(
        intArrayAttr(op, attrs, key, length, min, shapes),
        E.map((v) => [key, v] as const),
      ),
    ),
    E.map((kvs) => Object.fromEntries(kvs) as IntArrays<S>),
  );

/** Stride, padding, kernel and rounding of a pooling op, validated. */
export interface PoolWindow {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
  readonly ceilMode: boolean;
}

/**
 * Reads and validates a pooling window. Each padding must be smaller than the kernel along its
 * axis: exactly the condition under which every window holds at least one real element (so a
 * max is never -infinity and an exclusive average never divides by zero). PyTorch's
 * `pad <= kernel/2` is stricter; asymmetric "same" paddings need the weaker rule.
 */
export const poolWindow = (
  op: string,
  attrs: Attrs,
  shapes: readonly Shape[],
): E.Either<LoomError, PoolWindow> =>
  pipe(
    intArrayAttrs(op, attrs, { kernel: [2, 1], stride: [2, 1], pad: [4, 0] } as const, shapes),
    E.bind("ceilMode", () => optionalBoolAttr(op, attrs, "ceilMode", shapes)),
    E.filterOrElse(
      ({ kernel: [kh, kw], pad: p }) => p[0] < kh && p[1] < kh && p[2] < kw && p[3] < kw,
      ({ kernel: [kh, kw], pad: p }) =>
        new LoomError(
          "invalid_attr",
          op,
          `padding ${JSON.stringify(p)} must be smaller than the kernel ${kh}x${kw} on every side, or a window could hold only padding`,
          shapes,
        ),
    ),
  );

/** Stride, padding, dilation and groups of a convolution, validated. */
export interface ConvWindow {
  readonly stride: Pair;
  readonly pad: Pad4;
  readonly dilation: Pair;
  readonly groups: number;
}

/** Reads and validates the attributes shared by conv2d and its two gradient convolutions. */
export const convWindow = (
  op: string,
  attrs: Attrs,
  shapes: readonly Shape[],
): E.Either<LoomError, ConvWindow> =>
  pipe(
    intArrayAttrs(op, attrs, { stride: [2, 1], pad: [4, 0], dilation: [2, 1] } as const, shapes),
    E.bind("groups", () => positiveIntAttr(op, attrs, "groups", shapes)),
  );

/**
 * Checks the channel bookkeeping of a grouped convolution: `c` input channels, a filter of
 * `o` output channels with `perGroup` input channels each.
 */
export const checkGroups = (
  op: string,
  c: number,
  o: number,
  perGroup: number,
  groups: number,
  shapes: readonly Shape[],
): E.Either<LoomError, null> => {
  if (c % groups !== 0 || o % groups !== 0) {
    return fail(
      "shape_mismatch",
      op,
      `groups=${groups} must divide both the input channels (${c}) and the output channels (${o})`,
      shapes,
    );
  }
  if (perGroup !== c / groups) {
    return fail(
      "shape_mismatch",
      op,
      `filter expects ${perGroup} input channels per group but the input has ${c} channels in ${groups} group(s) (${c / groups} each); the filter is OIHW with I = C/groups`,
      shapes,
    );
  }
  return E.right(null);
};

/** The forward convolution a conv rule describes: channels, spatial input size and kernel. */
export interface ConvProblem {
  /** Input channels. */
  readonly c: number;
  /** Output channels. */
  readonly o: number;
  /** The filter's input channels per group. */
  readonly perGroup: number;
  /** The input's spatial size. */
  readonly hw: Pair;
  /** The kernel's spatial size. */
  readonly k: Pair;
}

/**
 * The forward convolution's spatial output size, after checking its groups and, for a
 * gradient op, that the cotangent's spatial dims `dy` match it.
 */
export const convOutput = (
  op: string,
  p: ConvProblem,
  win: ConvWindow,
  shapes: readonly Shape[],
  dy?: readonly Dim[],
): E.Either<LoomError, Pair> =>
  pipe(
    checkGroups(op, p.c, p.o, p.perGroup, win.groups, shapes),
    E.chain(() => windowOutput(op, p.hw, p.k, win.stride, win.pad, win.dilation, shapes)),
    E.chain((out) => (dy === undefined ? E.right(out) : checkSpatial(op, "dy", dy, out, shapes))),
  );

/** A validated pooling op: its window, input and spatial output size. */
export interface PoolShape extends PoolWindow {
  readonly x: TensorType;
  readonly hw: Pair;
  readonly out: Pair;
}

/**
 * Validates a pooling op over `x` `[N,C,H,W]` (H and W concrete) with spatial size `hw`, which
 * is x's own unless a gradient op states it; with `dy`, also that a gradient op's cotangent
 * has the output's spatial size.
 */
export const poolShape = (
  op: string,
  x: TensorType,
  attrs: Attrs,
  shapes: readonly Shape[],
  hw?: Pair,
  dy?: TensorType,
): E.Either<LoomError, PoolShape> =>
  pipe(
    poolWindow(op, attrs, shapes),
    E.bindTo("win"),
    E.bind("size", () =>
      hw === undefined
        ? pipe(
            concreteDims(op, "x", x.shape, [2, 3], shapes),
            E.map((d) => d as Pair),
          )
        : E.right(hw),
    ),
    E.bind("out", ({ win, size }) =>
      windowOutput(op, size, win.kernel, win.stride, win.pad, [1, 1], shapes, win.ceilMode),
    ),
    E.chainFirst(({ out }) =>
      dy === undefined ? E.right(out) : checkSpatial(op, "dy", dy.shape.slice(2), out, shapes),
    ),
    E.map(({ win, size, out }) => ({ ...win, x, hw: size, out })),
  );

/**
 * The shape rule of a forward pooling op over x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, after the op's
 * own attribute checks `more` (average pooling's countIncludePad).
 */
export const poolInfer =
  (op: string, more: (attrs: Attrs, shapes: readonly Shape[]) => E.Either<LoomError, unknown>) =>
  (inputs: readonly TensorType[], rawAttrs: unknown): E.Either<LoomError, TensorType> => {
    const x = inputs[0]!;
    return pipe(
      imageOp(op, inputs, rawAttrs, ["x"], ["NCHW"]),
      E.chainFirst(({ attrs, shapes }) => more(attrs, shapes)),
      E.chain(({ attrs, shapes }) => poolShape(op, x, attrs, shapes)),
      E.map(({ out }) => ({ shape: [x.shape[0]!, x.shape[1]!, ...out], dtype: x.dtype })),
    );
  };
