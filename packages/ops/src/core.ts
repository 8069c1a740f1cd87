import type { Attrs, BuildNode, DType, Node, Shape, TypedArray } from "@loom/graph";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { applyOp, fail, LoomError, orThrow } from "@loom/graph";
import type { PrimitiveName } from "./table";
import { primitives } from "./table";
import { checkDType, checkValues, describeValue } from "./values";
import { checkTensor } from "./graph-operand";

/** A tensor under construction: a node of the graph being built. */
export type Tensor = Node;

/** Where the public ops accept a tensor they also accept a plain number (a scalar of the other operand's dtype). */
export type TensorLike = Tensor | number;

/**
 * Builds a primitive node, checking it by the op's rule; throws the rule's LoomError. This is
 * the public API edge: rules return Either, the user-facing functions throw.
 */
export const prim = (op: PrimitiveName, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor => {
  // Host data reaching a node would build a graph that fails far away, or nowhere.
  inputs.forEach((x, i) => checkTensor(op, x, `input ${i}`));
  return orThrow(applyOp(primitives, op, inputs, attrs));
};

/** `prim` over any op name, as VJP rules receive it (`VjpContext.prim`); for calling a rule directly. */
export const buildNode: BuildNode = (op, inputs, attrs = {}) =>
  orThrow(applyOp(primitives, op, inputs, attrs));

/** A graph input (placeholder) named `name`; dims may be symbols such as `"N"`. */
export const input = (name: string, shape: Shape, dtype: DType = "float32"): Tensor =>
  prim("input", [], { name, shape: [...shape], dtype });

/** A constant tensor from a number, nested arrays or a typed array (copied into the graph). */
export const constant = (
  value: number | TypedArray | readonly number[],
  // `value?.length`: a bad value (undefined) must reach the check below, not fail here.
  shape: Shape = typeof value === "number"
    ? []
    : [(value as { length?: number } | undefined)?.length ?? 0],
  dtype: DType = "float32",
): Tensor =>
  orThrow(
    pipe(
      checkDType("constant", dtype),
      E.chain(() =>
        typeof value === "number" || Array.isArray(value) || ArrayBuffer.isView(value)
          ? checkValues("constant", typeof value === "number" ? [value] : value, dtype)
          : fail(
              "invalid_argument",
              "constant",
              `value is ${describeValue(value)}; give a number, an array of numbers or a typed array`,
            ),
      ),
      E.map((data) => prim("constant", [], { data: Array.from(data), shape: [...shape], dtype })),
    ),
  );

/** A scalar constant of the given dtype. */
export const scalar = (value: number, dtype: DType = "float32"): Tensor =>
  constant(value, [], dtype);

/** True for graph nodes (as opposed to numbers or host data). */
export { isTensor } from "./graph-operand";

/** Throws a LoomError of code invalid_argument for `op`. */
export const badArgument = (op: string, message: string, shapes: readonly Shape[] = []): never => {
  throw new LoomError("invalid_argument", op, message, shapes);
};
