import type { ElementwiseDef, Expr } from "@loom/graph";
import { alu, cnst } from "@loom/graph";
import { elementwiseInfer, type NoAttrs } from "./rules";

/**
 * `log1p(u)` for `u` in [0, 1] from `log` alone, to within a few ulps (Goldberg's
 * `log(w) * u / (w - 1)` with `w = 1 + u`: the rounding of `w` cancels). `u` is an
 * expression, repeated rather than stored: one kernel evaluates it per element.
 */
const log1p = (u: Expr): Expr => {
  const w = alu("add", [u, cnst(1, u.dtype)]);
  const exact = alu("eq", [w, cnst(1, u.dtype)]);
  return alu("where", [
    exact,
    u,
    alu("mul", [alu("log", [w]), alu("div", [u, alu("sub", [w, cnst(1, u.dtype)])])]),
  ]);
};

/**
 * `softplus(x) = log(1 + e^x)`, evaluated as `max(x, 0) + log1p(e^-|x|)`, which never
 * overflows and keeps full relative precision for very negative x (where it is about e^x).
 * A primitive so that its VJP is PyTorch's `ct * sigmoid(x)`: composites of exp and log would
 * multiply 0 by inf in the backward pass for |x| of a few hundred. The public `softplus`
 * adds PyTorch's `beta` and `threshold` around it.
 */
export const softplus: ElementwiseDef<NoAttrs> = {
  name: "softplus",
  fusion: "elementwise",
  infer: elementwiseInfer("softplus", 1, "float"),
  scalar: ([x]): Expr =>
    alu("add", [
      alu("max", [x!, cnst(0, x!.dtype)]),
      log1p(alu("exp", [alu("neg", [alu("abs", [x!])])])),
    ]),
  vjp: ({ prim, ct, inputs: [x] }) => [prim("mul", [ct, prim("sigmoid", [x!])])],
};
