import * as E from "fp-ts/lib/Either.js";
import type { BuildNode, Dim, MovementDef, Node } from "@loom/graph";
import { fail, formatShape, iadd, imul, int } from "@loom/graph";

/**
 * Per axis, elements `begin, begin+step, ...` below `end`: `0 <= begin <= end <= dim`,
 * `step >= 1` (the public `slice` normalises NumPy-style indices into this form). An `end`
 * of `null` means "to the end of the axis", the only way to keep a symbolic axis (`"N"`),
 * whose size is unknown until compile time.
 */
export type SliceAttrs = { begin: number[]; end: (number | null)[]; step: number[] };

const isIntList = (a: unknown, rank: number, min: number): a is number[] =>
  Array.isArray(a) && a.length === rank && a.every((v) => Number.isInteger(v) && v >= min);

const isEndList = (a: unknown, rank: number): a is (number | null)[] =>
  Array.isArray(a) &&
  a.length === rank &&
  a.every((v) => v === null || (Number.isInteger(v) && v >= 0));

/** `slice(x)`: a strided window of x; a view (the gather reads `x[begin + i*step]`). */
export const slice: MovementDef<SliceAttrs> = {
  name: "slice",
  fusion: "movement",
  infer: (inputs, attrs) => {
    const { begin, end, step } = (attrs ?? {}) as Partial<SliceAttrs>;
    const [x] = inputs;
    if (inputs.length !== 1 || x === undefined) {
      return fail("invalid_argument", "slice", `takes one input, got ${inputs.length}`);
    }
    const rank = x.shape.length;
    if (!isIntList(begin, rank, 0) || !isEndList(end, rank) || !isIntList(step, rank, 1)) {
      return fail(
        "invalid_attr",
        "slice",
        `begin ${JSON.stringify(begin)}, end ${JSON.stringify(end)} and step ${JSON.stringify(step)} must each have ${rank} entries for ${formatShape(x.shape)}: begin and end non-negative integers (end may be null), step positive integers`,
        [x.shape],
      );
    }
    const shape: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const d = x.shape[i]!;
      const b = begin[i]!;
      const s = step[i]!;
      if (typeof d === "string") {
        if (b !== 0 || end[i] !== null || s !== 1) {
          return fail(
            "unsupported",
            "slice",
            `axis ${i} of ${formatShape(x.shape)} has symbolic size ${d}; only its full range (begin 0, end null, step 1) can be taken before compile time`,
            [x.shape],
          );
        }
        shape.push(d);
        continue;
      }
      const e = end[i] ?? d;
      if (b > e || e > d) {
        return fail(
          "invalid_attr",
          "slice",
          `axis ${i}: range [${b}, ${e}) does not satisfy 0 <= begin <= end <= ${d} for ${formatShape(x.shape)}`,
          [x.shape],
        );
      }
      shape.push(Math.ceil((e - b) / s));
    }
    return E.right({ shape, dtype: x.dtype });
  },
  gather: ({ idx, attrs, read }) =>
    read(
      0,
      idx.map((i, a) => iadd(int(attrs.begin[a]!), imul(i, int(attrs.step[a]!)))),
    ),
  vjp: ({ prim, ct, inputs, attrs }) => [sliceTranspose(prim, ct, inputs[0]!.shape, attrs)],
};

/**
 * Scatters a slice's cotangent back into zeros of the input's shape, using only linear
 * movement ops so that it can be differentiated again. A strided axis is dilated first:
 * each element gets `step-1` zeros after it (reshape to `[.., m, 1, ..]`, pad the new axis
 * to `step`, reshape to `[.., m*step, ..]`), putting element `j` at offset `j*step`. Then one
 * pad places the window at `begin`; where the dilated window runs past the input's end
 * (only trailing zeros do), one slice crops it.
 */
export const sliceTranspose = (
  prim: BuildNode,
  ct: Node,
  inShape: readonly Dim[],
  attrs: SliceAttrs,
): Node => {
  let g = ct;
  const rank = inShape.length;
  for (let a = 0; a < rank; a++) {
    const s = attrs.step[a]!;
    if (s === 1) continue;
    const m = g.shape[a] as number;
    const split = [...g.shape.slice(0, a + 1), 1, ...g.shape.slice(a + 1)];
    g = prim("reshape", [g], { shape: split });
    const zeros = split.map(() => 0);
    const high = split.map((_, i) => (i === a + 1 ? s - 1 : 0));
    g = prim("pad", [g], { low: zeros, high, value: 0 });
    g = prim("reshape", [g], { shape: [...g.shape.slice(0, a), m * s, ...g.shape.slice(a + 2)] });
  }
  const len = g.shape;
  const high = inShape.map((d, a) =>
    typeof d === "number" ? Math.max(0, d - attrs.begin[a]! - (len[a] as number)) : 0,
  );
  if (attrs.begin.some((b) => b !== 0) || high.some((h) => h !== 0)) {
    g = prim("pad", [g], { low: [...attrs.begin], high, value: 0 });
  }
  const over = inShape.some((d, a) => typeof d === "number" && (g.shape[a] as number) > d);
  if (over) {
    g = prim("slice", [g], {
      begin: inShape.map(() => 0),
      end: inShape.map((d) => (typeof d === "number" ? d : null)),
      step: inShape.map(() => 1),
    });
  }
  return g;
};
