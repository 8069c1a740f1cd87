import type { DType } from "./dtype";
import type { Shape } from "./shape";

/** JSON-serialisable attribute values. */
export type AttrValue =
  number | string | boolean | null | readonly AttrValue[] | { readonly [k: string]: AttrValue };

/** An op's attributes: a plain, JSON-serialisable object. */
export type Attrs = { readonly [k: string]: AttrValue };

/** The static type of a tensor: its shape and element type. */
export interface TensorType {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * A node of the IR: a frozen plain object. Identity is the object itself; nodes are
 * never mutated, and passes return new nodes.
 */
export interface Node extends TensorType {
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
}

/** Builds a frozen node. Callers are expected to have checked the type via the op's rule. */
export const freezeNode = (
  op: string,
  inputs: readonly Node[],
  attrs: Attrs,
  type: TensorType,
): Node =>
  Object.freeze({
    op,
    inputs: Object.freeze([...inputs]),
    attrs: Object.freeze({ ...attrs }),
    shape: Object.freeze([...type.shape]),
    dtype: type.dtype,
  });
