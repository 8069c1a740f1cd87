import * as E from "fp-ts/lib/Either.js";
import type { ElementwiseDef } from "@loom/graph";
import { alu, fail, formatType, isFloat, shapeEq } from "@loom/graph";
import { prim } from "../core";
import type { NoAttrs } from "./rules";
import { zerosLike } from "./rules";

/**
 * `select(cond, a, b)`: `cond ? a : b` elementwise, on equal shapes (the public `select`
 * broadcasts). Linear in `a` and `b`: each gets the cotangent where it was chosen.
 */
export const select: ElementwiseDef<NoAttrs> = {
  name: "select",
  fusion: "elementwise",
  infer: (inputs) => {
    const shapes = inputs.map((t) => t.shape);
    const [c, a, b] = inputs;
    if (inputs.length !== 3 || c === undefined || a === undefined || b === undefined) {
      return fail(
        "invalid_argument",
        "select",
        `takes 3 inputs (cond, a, b), got ${inputs.length}`,
        shapes,
      );
    }
    if (!shapeEq(c.shape, a.shape) || !shapeEq(a.shape, b.shape)) {
      return fail(
        "shape_mismatch",
        "select",
        `inputs must have equal shapes, got ${inputs.map(formatType).join(", ")}; broadcast them first (the public select does)`,
        shapes,
      );
    }
    if (c.dtype !== "bool") {
      return fail(
        "dtype_mismatch",
        "select",
        `cond must be bool, got ${formatType(c)}; compare it first (e.g. ne(x, 0))`,
        shapes,
      );
    }
    if (a.dtype !== b.dtype) {
      return fail(
        "dtype_mismatch",
        "select",
        `a and b must have one dtype, got ${formatType(a)} and ${formatType(b)}; cast one of them`,
        shapes,
      );
    }
    return E.right({ shape: a.shape, dtype: a.dtype });
  },
  scalar: ([c, a, b]) => alu("where", [c!, a!, b!], a!.dtype),
  vjp: ({ ct, inputs: [c, a] }) => {
    if (!isFloat(a!.dtype)) return [undefined, undefined, undefined];
    const zero = zerosLike(ct);
    return [undefined, prim("select", [c!, ct, zero]), prim("select", [c!, zero, ct])];
  },
};
