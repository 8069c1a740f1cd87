import * as E from "fp-ts/lib/Either.js";
import type { Graph } from "../graph";
import { applyOp, rebuild, sameInputs } from "../graph";
import type { OpTable } from "../op-def";
import { specializeShape } from "../shape";
import type { Pass } from "./pass";

/**
 * Shape and dtype inference: re-derives every node's type from the graph inputs by the op
 * rules, after substituting `bindings` for symbolic dims (`{ N: 64 }`). Inputs keep their
 * dtype (sources carry their type in `attrs.shape`/`attrs.dtype`); a rule that rejects the specialised shapes fails the pass with its LoomError.
 */
export const inferShapes = (
  table: OpTable,
  bindings: Readonly<Record<string, number>> = {},
): Pass => ({
  name: "infer-shapes",
  run: (g: Graph) =>
    rebuild(g, (n, inputs) => {
      const attrs = specializeAttrs(n.attrs, bindings);
      if (sameInputs(inputs, n.inputs) && attrs === n.attrs) return E.right(n);
      return applyOp(table, n.op, inputs, attrs);
    }),
});

/** Attribute shapes (reshape/broadcast targets, iota shapes) may mention symbols too. */
const specializeAttrs = (
  attrs: Readonly<Record<string, unknown>>,
  bindings: Readonly<Record<string, number>>,
) => {
  const shape = attrs["shape"];
  if (
    !Array.isArray(shape) ||
    !shape.some((d) => typeof d === "string" && Object.hasOwn(bindings, d))
  ) {
    return attrs as never;
  }
  return { ...attrs, shape: specializeShape(shape as string[], bindings) } as never;
};
