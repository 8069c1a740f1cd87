import type { Node } from "../node";
import { shapeEq } from "../shape";
import { splatValue } from "./fold";

/**
 * Questions the algebraic rewrite rules of the op catalogue ask of their operands (each op
 * declares its identities in its own file; see `OpDef.simplify`).
 */

/** True when `x` can stand for `n`: the same shape and dtype, so no user sees a type change. */
export const sameType = (x: Node, n: Node): boolean =>
  x.dtype === n.dtype && shapeEq(x.shape, n.shape);

/** True when `c` is a splat (possibly viewed through broadcasts/reshapes) of exactly `v`. */
export const isSplatOf = (c: Node | undefined, v: number): boolean =>
  c !== undefined && splatValue(c) === v;

/**
 * True when adding `c` leaves every value of `n`'s dtype unchanged, the sign of zero included:
 * for floats only the zero -0 (-0 + +0 is +0), for integers 0.
 */
export const isAddIdentity = (c: Node | undefined, n: Node): boolean =>
  c !== undefined && (n.dtype === "int32" ? splatValue(c) === 0 : Object.is(splatValue(c), -0));
