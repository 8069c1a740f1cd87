import type { Node } from "./node";

/**
 * The two leaves of the IR, known to graph itself (not to the op table): `input` is a
 * placeholder fed at run time, `constant` carries its values in `attrs.data`. Passes ask these
 * helpers rather than comparing op names.
 */

/** True for a graph input (placeholder). */
export const isInputNode = (n: Node): boolean => n.op === "input";

/** True for a constant. */
export const isConstantNode = (n: Node): boolean => n.op === "constant";

/** A constant's values (length = element count, or 1 for a splat); the op's rule validated them. */
export const constantData = (n: Node): readonly number[] => n.attrs["data"] as readonly number[];

/** True for a constant of one value repeated (a splat): free to recompute anywhere. */
export const isSplatConstant = (n: Node): boolean =>
  isConstantNode(n) && constantData(n).length === 1;
