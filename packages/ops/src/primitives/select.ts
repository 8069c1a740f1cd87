import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Attrs, ElementwiseDef, Node, RewriteContext } from "@loom/graph";
import { alu, fail, formatType, isFloat, sameType, shapeEq, splatValue } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { zerosLike } from "./rules";

/**
 * `select(y > 0, max_pool2d_grad(y, g), 0)` -> `max_pool2d_grad(y, select(max_pool2d(y) > 0, g, 0))`:
 * the mask of a ReLU before max pooling moves from y's shape onto the pooled gradient's,
 * a quarter of the elements for 2x2 pooling. Exact: the gradient only reaches elements that
 * are the maximum of a window, where y equals that window's pooled value (so both masks agree
 * on every term; elsewhere both sides are +0). The new max_pool2d(y) is the forward pass's,
 * merged by CSE. Beyond the saved work, y is then no longer read after the pooling gradient,
 * which may write over it (`overwrites`): the ReLU output and its gradient, the largest pair
 * of a CNN's training step, need not be live together.
 */
const maskThroughMaxPool = ({ node: n, apply }: RewriteContext<NoAttrs>): Node | undefined => {
  const [c, grad, zero] = n.inputs as [Node, Node, Node];
  if (c.op !== "gt" || grad.op !== "max_pool2d_grad" || splatValue(zero) !== 0) return undefined;
  const [y, bound] = c.inputs as [Node, Node];
  const [x, g] = grad.inputs as [Node, Node];
  if (x !== y || splatValue(bound) !== 0 || !sameType(grad, n)) return undefined;
  const splat = (like: Node, dtype: Node["dtype"]) =>
    apply("constant", [], { data: [0], shape: like.shape, dtype } as Attrs);
  return pipe(
    E.Do,
    E.bind("pooled", () => apply("max_pool2d", [y], grad.attrs)),
    E.bind("bound0", ({ pooled }) => splat(pooled, bound.dtype)),
    E.bind("mask", ({ pooled, bound0 }) => apply("gt", [pooled, bound0])),
    E.bind("zero0", () => splat(g, zero.dtype)),
    E.bind("masked", ({ mask, zero0 }) => apply("select", [mask, g, zero0])),
    E.chain(({ masked }) => apply("max_pool2d_grad", [y, masked], grad.attrs)),
    E.match(
      () => undefined,
      (r) => (sameType(r, n) ? r : undefined),
    ),
  );
};

/**
 * `select(cond, a, b)`: `cond ? a : b` elementwise, on equal shapes (the public `select`
 * broadcasts). Linear in `a` and `b`: each gets the cotangent where it was chosen.
 */
export const select: ElementwiseDef<NoAttrs> = {
  name: "select",
  fusion: "elementwise",
  // select(c, x, x) = x; a constant condition picks a side; and maskThroughMaxPool.
  simplify: (ctx) => {
    if (ctx.node.inputs.length !== 3) return undefined;
    const [c, x, y] = ctx.node.inputs as [Node, Node, Node];
    if (x === y) return ctx.keep(x);
    const cond = splatValue(c);
    if (cond !== undefined) return ctx.keep(cond !== 0 ? x : y);
    return maskThroughMaxPool(ctx);
  },
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
  vjp: ({ prim, ct, inputs: [c, a] }) => {
    if (!isFloat(a!.dtype)) return [undefined, undefined, undefined];
    const zero = zerosLike(prim, ct);
    return [undefined, prim("select", [c!, ct, zero]), prim("select", [c!, zero, ct])];
  },
};
