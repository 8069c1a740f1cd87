import type { ElementwiseDef, Expr } from "@loom/graph";
import { alu, cnst } from "@loom/graph";
import { elementwiseInfer, full, type NoAttrs } from "./rules";

/**
 * `sigmoid(x) = 1 / (1 + e^-x)`. A primitive rather than a composite so that its VJP is
 * written from the output, `ct * y * (1 - y)` as PyTorch's: the chain rule through
 * `recip(1 + exp(-x))` multiplies 0 by exp(1000) = inf below x of about -88 (f32) and gives
 * NaN. The forward expression saturates cleanly (to 0 through 1/inf, to 1 through 1/1) and
 * reads `x` once, so it fuses like any unary op.
 */
export const sigmoid: ElementwiseDef<NoAttrs> = {
  name: "sigmoid",
  fusion: "elementwise",
  infer: elementwiseInfer("sigmoid", 1, "float"),
  scalar: ([x]): Expr =>
    alu("recip", [alu("add", [alu("exp", [alu("neg", [x!])]), cnst(1, x!.dtype)])]),
  vjp: ({ prim, ct, out }) => [
    prim("mul", [ct, prim("mul", [out, prim("sub", [full(prim, out.shape, 1, out.dtype), out])])]),
  ],
};
