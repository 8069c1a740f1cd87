import * as E from "fp-ts/lib/Either.js";
import type { DType, Dim, SourceDef } from "@loom/graph";
import { DTYPES, fail } from "@loom/graph";

/** A placeholder's name and type. */
export type InputAttrs = { name: string; shape: Dim[]; dtype: DType };

/** Checks a shape given as an attribute: non-negative integers or non-empty symbol names. */
export const checkShapeAttr = (op: string, shape: unknown) =>
  Array.isArray(shape) &&
  shape.every(
    (d) =>
      (typeof d === "number" && Number.isInteger(d) && d >= 0) ||
      (typeof d === "string" && d.length > 0),
  )
    ? E.right(shape as Dim[])
    : fail<Dim[]>(
        "invalid_attr",
        op,
        `shape must be an array of non-negative integers or symbol names, got ${JSON.stringify(shape)}`,
      );

/** `input`: a named graph input; its type comes from its attributes. */
export const input: SourceDef<InputAttrs> = {
  name: "input",
  fusion: "source",
  infer: (inputs, { name, shape, dtype }) => {
    if (inputs.length !== 0) return fail("invalid_argument", "input", "takes no inputs");
    if (typeof name !== "string" || name.length === 0) {
      return fail("invalid_attr", "input", "needs a non-empty name");
    }
    if (!DTYPES.includes(dtype))
      return fail("invalid_attr", "input", `unknown dtype ${String(dtype)}`);
    return E.map((s: Dim[]) => ({ shape: s, dtype }))(checkShapeAttr("input", shape));
  },
  vjp: () => [],
};
